/// New entity id: a UUIDv7 (time-ordered, so "newest first" lists sort by id cheaply).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
