use crate::support::*;

#[tokio::test]
async fn both_migration_sets_produce_the_same_tables_and_columns() {
    let mut sets = vec![];
    for b in [Backend::Sqlite, Backend::Postgres] {
        let t = TestApp::start(b).await;
        sets.push(payplane_store::schema::columns(&t.app.db).await.unwrap());
    }
    assert!(sets[0].len() > 40, "schema read: {:?}", sets[0]);
    assert_eq!(sets[0], sets[1]);
}
