//! Rules for list queries that both backends apply alike: page bounds and case-insensitive
//! substring patterns for `LIKE … ESCAPE '\'` in which the user's `%` and `_` match themselves.

/// Largest page an admin list returns.
pub(crate) const MAX_PER_PAGE: u32 = 100;

/// `(limit, offset)` for a 1-based `page` of `per_page` rows; `page` 0 counts as 1 and
/// `per_page` is clamped to `1..=MAX_PER_PAGE`.
pub(crate) fn limit_offset(page: u32, per_page: u32) -> (i64, i64) {
    let per_page = i64::from(per_page.clamp(1, MAX_PER_PAGE));
    let page = i64::from(page.max(1));
    (per_page, (page - 1) * per_page)
}

/// A lower-cased `%…%` pattern matching `search` anywhere, with LIKE's wildcards and the escape
/// character itself escaped by `\`; `None` for a missing or blank search.
pub(crate) fn contains_pattern(search: Option<&str>) -> Option<String> {
    let search = search.map(str::trim).filter(|s| !s.is_empty())?;
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

/// A `prefix%` pattern for `LIKE … ESCAPE '\'` in which the prefix's `%`, `_` and `\` match
/// themselves.
pub(crate) fn prefix_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_start_at_one_and_page_sizes_are_clamped() {
        assert_eq!(limit_offset(0, 20), (20, 0));
        assert_eq!(limit_offset(1, 20), (20, 0));
        assert_eq!(limit_offset(3, 20), (20, 40));
        assert_eq!(limit_offset(2, 0), (1, 1));
        assert_eq!(limit_offset(2, 1_000), (100, 100));
        assert_eq!(
            limit_offset(u32::MAX, 100).1,
            (i64::from(u32::MAX) - 1) * 100
        );
    }

    #[test]
    fn wildcards_and_backslashes_in_a_search_match_only_themselves() {
        assert_eq!(
            contains_pattern(Some(r"50%_off\x")).as_deref(),
            Some(r"%50\%\_off\\x%")
        );
    }

    #[test]
    fn a_search_is_lower_cased_and_a_blank_one_is_no_filter() {
        assert_eq!(
            contains_pattern(Some(" Alice ")).as_deref(),
            Some("%alice%")
        );
        assert_eq!(contains_pattern(Some("   ")), None);
        assert_eq!(contains_pattern(None), None);
    }
}
