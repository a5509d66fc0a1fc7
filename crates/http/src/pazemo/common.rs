//! Pieces shared by the accounts API's handlers: whose `{userId}` a path names, pagination.
use payplane_app::AppError;
use payplane_app::pazemo::amounts::Page;
use payplane_app::pazemo::auth::Principal;
use payplane_store::keyset::Window;
use serde::Deserialize;
use utoipa::IntoParams;

/// The user a `/users/{userId}/…` path is about: `me` or your own id; an operator may name
/// anyone. Another user's id is a 403, as the document's table says.
pub fn path_user(p: &Principal, user_id: &str) -> Result<String, AppError> {
    if user_id == "me" || user_id == p.user_id {
        return Ok(p.user_id.clone());
    }
    if p.admin {
        return Ok(user_id.to_string());
    }
    Err(AppError::forbidden(
        "error.user.forbidden",
        "You can only see your own accounts",
    ))
}

/// `page` (from 1, default 1) and `size` (1–100, default 20), or `cursor`. Lists stay bare JSON
/// arrays as in the document; an empty page (or no `Link` header) means the end.
#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<i64>,
    /// The page after the one whose `Link: <…>; rel="next"` header gave this cursor (`page` is
    /// then not used). Cheap at any depth, unlike a large `page`.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, AppError> {
        Page::new(self.page, self.size)
    }

    pub fn window(&self) -> Result<Window, AppError> {
        self.page()?.window(self.cursor.as_deref())
    }
}
