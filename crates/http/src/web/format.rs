//! How pages write amounts and times for people: `1,250,000.00`, `2025-03-01 14:05 UTC`.
use payplane_core::timefmt::iso_millis;

/// Minor units as a major amount with thousands separators: `125000050` → `1,250,000.50`.
pub fn amount(minor: i64, minor_units: u32) -> String {
    let scale = 10i128.pow(minor_units);
    let m = minor as i128;
    let (whole, frac) = (m.abs() / scale, m.abs() % scale);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if m < 0 { "-" } else { "" };
    if minor_units == 0 {
        format!("{sign}{grouped}")
    } else {
        format!(
            "{sign}{grouped}.{frac:0width$}",
            width = minor_units as usize
        )
    }
}

/// A time to the minute, in UTC.
pub fn time(micros: i64) -> String {
    let iso = iso_millis(micros);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_and_exact() {
        assert_eq!(amount(125_000_050, 2), "1,250,000.50");
        assert_eq!(amount(-5, 2), "-0.05");
        assert_eq!(amount(0, 2), "0.00");
        assert_eq!(amount(99_999, 2), "999.99");
        assert_eq!(amount(100_000, 2), "1,000.00");
        assert_eq!(amount(1234, 0), "1,234");
        assert_eq!(amount(i64::MIN, 2), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn times_are_to_the_minute() {
        assert_eq!(time(1_700_000_000_000_000), "2023-11-14 22:13 UTC");
    }
}
