//! JSON renderer: the report as documented by `schema/report.schema.json`.

use super::Report;

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serialises");
    s.push('\n');
    s
}

/// [`render`] written to `w` as it is produced (flushed at the end).
pub fn write(r: &Report, mut w: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut w, r)?;
    w.write_all(b"\n")?;
    w.flush()
}
