//! JSON renderer: the report as documented by `schema/report.schema.json`.

use super::Report;

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serialises");
    s.push('\n');
    s
}

/// [`render`] written to `w` as it is produced (flushed at the end).
pub fn write(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write;
    // A buffer of its own, whatever `w` is: serde_json writes token by token (a quote, a
    // colon), and through a `&mut dyn Write` each token would be a call and a `memcpy`; here
    // they are inlined copies into the buffer.
    let mut w = std::io::BufWriter::with_capacity(64 << 10, w);
    serde_json::to_writer_pretty(&mut w, r)?;
    w.write_all(b"\n")?;
    w.flush()
}
