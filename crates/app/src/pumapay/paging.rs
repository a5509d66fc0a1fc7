//! Pagination and ordering parameters of the pull-payment API's lists.
use crate::Detail;
use crate::error::detail;

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
