//! Pagination and ordering parameters of the pull-payment API's lists.
use crate::Detail;
use crate::error::detail;
use payplane_store::keyset::{Key, Window};

pub const DEFAULT_ITEMS_PER_PAGE: i64 = 20;
pub const MAX_ITEMS_PER_PAGE: i64 = 100;

#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub items_per_page: Option<i64>,
    pub order_by: Option<String>,
    pub order_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
    /// Lowercased `orderBy` (validated by the caller against its own keys).
    pub order_by: Option<String>,
    pub ascending: bool,
}

/// Pages are numbered from 1. `orderType` is ASC or DESC (any case); the default is newest first.
pub fn page(q: &PageQuery, errors: &mut Vec<Detail>) -> Page {
    let page = q.page.unwrap_or(1);
    let per = q.items_per_page.unwrap_or(DEFAULT_ITEMS_PER_PAGE);
    if page < 1 {
        errors.push(detail(
            "page",
            "error.page.invalid",
            "page must be 1 or more",
        ));
    }
    if !(1..=MAX_ITEMS_PER_PAGE).contains(&per) {
        errors.push(detail(
            "itemsPerPage",
            "error.items.per.page.invalid",
            &format!("itemsPerPage must be between 1 and {MAX_ITEMS_PER_PAGE}"),
        ));
    }
    let ascending = match q
        .order_type
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("DESC") => false,
        Some("ASC") => true,
        Some(_) => {
            errors.push(detail(
                "orderType",
                "error.order.type.invalid",
                "orderType must be ASC or DESC",
            ));
            false
        }
    };
    Page {
        limit: per.clamp(1, MAX_ITEMS_PER_PAGE),
        offset: (page.max(1) - 1).saturating_mul(per.clamp(1, MAX_ITEMS_PER_PAGE)),
        order_by: q.order_by.as_ref().map(|s| s.to_ascii_lowercase()),
        ascending,
    }
}

/// An optional integer query parameter; anything but an integer is an error naming `field`.
pub fn int_param(field: &str, v: Option<&str>, errors: &mut Vec<Detail>) -> Option<i64> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(detail(
                field,
                "error.field.not.integer",
                &format!("{field} must be an integer, got {v:?}"),
            ));
            None
        }
    }
}

/// A list filter of integers, each accepted by `allowed` (`what` says which values are, for the
/// message). A bad member is one error naming `field`.
pub fn int_list(
    field: &str,
    values: &[String],
    allowed: impl Fn(i64) -> bool,
    what: &str,
    errors: &mut Vec<Detail>,
) -> Vec<i64> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v.trim().parse::<i64>() {
            Ok(n) if allowed(n) => out.push(n),
            _ => {
                errors.push(detail(
                    field,
                    "error.filter.invalid",
                    &format!("{field} must be a list of {what}; {v:?} is not one"),
                ));
                return vec![];
            }
        }
    }
    out
}

/// `page` and `itemsPerPage` given as query text.
pub fn page_params(
    page: Option<&str>,
    items_per_page: Option<&str>,
    errors: &mut Vec<Detail>,
) -> PageQuery {
    PageQuery {
        page: int_param("page", page, errors),
        items_per_page: int_param("itemsPerPage", items_per_page, errors),
        order_by: None,
        order_type: None,
    }
}

/// The rows to read: page `page` by number, or the page after `cursor` (the `next` cursor of an
/// earlier page) when one is given; a cursor this API did not give is an error naming `cursor`.
pub fn window(page: &Page, cursor: Option<&str>, errors: &mut Vec<Detail>) -> Window {
    let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            let key = Key::decode(c);
            if key.is_none() {
                errors.push(detail(
                    "cursor",
                    "error.cursor.invalid",
                    "cursor is not one this list gave",
                ));
            }
            key
        }
    };
    Window::new(page.limit, page.offset, after)
}
