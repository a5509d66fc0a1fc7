//! The `Link: <…>; rel="next"` header of the lists that take a `cursor` (docs/foundation.md,
//! "Lists"). Both faces' documents fix the body of a list (a bare array, or the envelope with
//! `data`), so the next page's address travels in a header: the same request with `page`
//! dropped and `cursor` set to the last row's key. No header means this page is the last.
use axum::http::{HeaderMap, HeaderValue, Uri, header::LINK};

/// The headers of a list page whose next page starts after `cursor` (none when `None`).
pub fn headers(uri: &Uri, cursor: Option<String>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(c) = cursor {
        let mut query: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| {
                let k = kv.split('=').next().unwrap_or("");
                !kv.is_empty() && k != "page" && k != "cursor"
            })
            .collect();
        let next = format!("cursor={c}");
        query.push(&next);
        let link = format!("<{}?{}>; rel=\"next\"", uri.path(), query.join("&"));
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert(LINK, v);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_keeps_the_filters_and_swaps_page_for_cursor() {
        let uri: Uri = "/a/b?status=failed&page=3&size=5&cursor=00"
            .parse()
            .unwrap();
        let h = headers(&uri, Some("3a61".into()));
        assert_eq!(
            h[LINK],
            "</a/b?status=failed&size=5&cursor=3a61>; rel=\"next\""
        );
        assert!(headers(&uri, None).is_empty());
        let bare: Uri = "/a".parse().unwrap();
        assert_eq!(
            headers(&bare, Some("ff".into()))[LINK],
            "</a?cursor=ff>; rel=\"next\""
        );
    }
}
