//! JSON renderer: the report as documented by `schema/report.schema.json`.

use super::Report;

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serialises");
    s.push('\n');
    s
}
