use crate::{App, AppError, jobs};
use std::time::Duration;

/// Enqueues a `ping` job and waits until a worker (this process or another) ran it.
pub async fn ping_queue(app: &App, wait: Duration) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    let id = jobs::enqueue(app, &mut tx, "ping", &serde_json::json!({}), app.now()).await?;
    tx.commit().await?;
    jobs::wake(app);
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        if let Some(state) = payplane_store::jobs::state(&app.db, &id).await?
            && state.status == payplane_store::jobs::DONE
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(AppError::unavailable(
        "No worker answered the queue ping within 5 seconds",
    ))
}
