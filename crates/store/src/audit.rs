use crate::Result;

/// Writes one line of the operator audit log: who did what to what, from where.
pub async fn record(
    conn: &mut crate::Conn,
    actor: &str,
    action: &str,
    target: &str,
    source: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (id, actor, action, target, source, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(payplane_core::ids::new_id())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(source)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
