//! JSON renderer: the report as documented by `schema/report.schema.json`.

use super::Report;
use serde::Serialize;
use std::io::Write;

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serialises");
    s.push('\n');
    s
}

/// [`render`] written to `w` as it is produced (flushed at the end).
pub fn write(r: &Report, w: impl Write) -> std::io::Result<()> {
    // A buffer of its own, whatever `w` is: serde_json writes token by token (a quote, a
    // colon), and through a `&mut dyn Write` each token would be a call and a `memcpy`; here
    // they are inlined copies into the buffer.
    let mut w = std::io::BufWriter::with_capacity(64 << 10, w);
    serde_json::to_writer_pretty(&mut w, r)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Elements of a large array rendered per batch (bounds the text held at once).
const BATCH: usize = 1024;

/// [`write`], the same bytes, with the assets and findings (nearly all of a large report's
/// text) rendered on up to `threads` threads, a batch at a time: each element is rendered on
/// its own and indented to its place (serde_json never writes a raw newline inside a string,
/// so every newline of an element's text is a line break of the layout). The rest of the
/// report is rendered with both arrays empty and the arrays are spliced in where their keys
/// are. The report is left as it was.
pub fn write_parallel(r: &mut Report, w: impl Write, threads: usize) -> std::io::Result<()> {
    if threads <= 1 {
        return write(r, w);
    }
    let assets = std::mem::take(&mut r.assets);
    let findings = std::mem::take(&mut r.findings);
    let skeleton = serde_json::to_vec_pretty(&*r);
    r.assets = assets;
    r.findings = findings;
    let skeleton = skeleton?;
    // Top-level keys are indented by two spaces after a line break: nothing inside a string
    // looks like that.
    let (a_key, f_key) = (b"\n  \"assets\": []", b"\n  \"findings\": []");
    let (Some(a), Some(f)) = (
        memchr::memmem::find(&skeleton, a_key),
        memchr::memmem::find(&skeleton, f_key),
    ) else {
        return write(r, w);
    };
    if f < a {
        return write(r, w);
    }
    let mut w = std::io::BufWriter::with_capacity(64 << 10, w);
    w.write_all(&skeleton[..a + a_key.len() - 2])?;
    array(&mut w, &r.assets, threads)?;
    w.write_all(&skeleton[a + a_key.len()..f + f_key.len() - 2])?;
    array(&mut w, &r.findings, threads)?;
    w.write_all(&skeleton[f + f_key.len()..])?;
    w.write_all(b"\n")?;
    w.flush()
}

/// A top-level array as serde_json's pretty printer writes it (elements at depth 2).
fn array<T: Serialize + Sync>(
    w: &mut impl Write,
    items: &[T],
    threads: usize,
) -> std::io::Result<()> {
    if items.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    for (b, batch) in items.chunks(BATCH).enumerate() {
        let parts = crate::par::ranges(batch.len(), threads * 4);
        let texts = crate::par::map(parts.len(), threads, |p| {
            let mut out = Vec::new();
            let mut one = Vec::new();
            for i in parts[p].clone() {
                one.clear();
                serde_json::to_writer_pretty(&mut one, &batch[i])?;
                out.extend_from_slice(if b == 0 && i == 0 {
                    b"\n    "
                } else {
                    b",\n    "
                });
                for (k, line) in one.split(|&c| c == b'\n').enumerate() {
                    if k > 0 {
                        out.extend_from_slice(b"\n    ");
                    }
                    out.extend_from_slice(line);
                }
            }
            Ok::<_, serde_json::Error>(out)
        });
        for t in texts {
            w.write_all(&t?)?;
        }
    }
    w.write_all(b"\n  ]")
}
