//! The engine plumbing: pools and connections (`db`), what differs between SQLite and PostgreSQL
//! (`dialect`), statement scripts sent in one round trip (`sql`), and schema introspection.
pub mod db;
pub mod dialect;
pub mod schema;
pub mod sql;
