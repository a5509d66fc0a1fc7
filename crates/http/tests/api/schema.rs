use crate::support::*;

#[tokio::test]
async fn both_migration_sets_produce_the_same_tables_and_columns() {
    let mut sets = vec![];
    for b in [Backend::Sqlite, Backend::Postgres] {
        let t = TestApp::start(b).await;
        sets.push(
            payplane_store::engine::schema::columns(&t.app.db)
                .await
                .unwrap(),
        );
    }
    assert!(sets[0].len() > 40, "schema read: {:?}", sets[0]);
    assert_eq!(sets[0], sets[1]);
}

#[tokio::test]
async fn a_new_sqlite_database_has_2_kib_pages_in_wal_mode() {
    use payplane_store::sqlx::{self, Row};
    let t = TestApp::start(Backend::Sqlite).await;
    let row = sqlx::query(
        "SELECT page_size, journal_mode FROM pragma_page_size(), pragma_journal_mode()",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(row.try_get::<i64, _>(0).unwrap(), 2048);
    assert_eq!(row.try_get::<String, _>(1).unwrap(), "wal");
}
