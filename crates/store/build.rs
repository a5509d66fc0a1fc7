// `sqlx::migrate!` embeds the migrations at compile time; without this, an incremental build
// would not see a migration file added since the last one (sqlx's documented build script).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
