use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats unix micros as the documents' date-time: `2021-06-11T03:56:25.871Z` (milliseconds, `Z`).
pub fn iso_millis(micros: i64) -> String {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(micros as i128 * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let ms = dt.millisecond();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        ms
    )
}

/// Parses an RFC 3339 date-time into unix micros.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|d| (d.unix_timestamp_nanos() / 1_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_z() {
        assert_eq!(
            iso_millis(1_623_383_785_871_000),
            "2021-06-11T03:56:25.871Z"
        );
        assert_eq!(
            parse_rfc3339("2021-06-11T03:56:25.871Z"),
            Some(1_623_383_785_871_000)
        );
    }
}
