//! No `unsafe` in the product: both crate roots forbid it (so the compiler rejects any), and no
//! source file asks for an exception. (The counting allocator in `tests/adversarial.rs` is the
//! one `unsafe` block of the test code: `GlobalAlloc` cannot be implemented without it.)

use std::path::{Path, PathBuf};

fn rust_files(d: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn crate_roots_forbid_unsafe_and_no_file_opts_out() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for f in ["src/lib.rs", "src/main.rs"] {
        let s = std::fs::read_to_string(root.join(f)).unwrap();
        assert!(
            s.contains("#![forbid(unsafe_code)]"),
            "{f} must forbid unsafe code"
        );
    }
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50);
    for f in files {
        let s = std::fs::read_to_string(&f).unwrap();
        for (i, line) in s.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("unsafe ")
                    && !code.contains("unsafe{")
                    && !code.contains("allow(unsafe_code)"),
                "{}:{}: unsafe outside a documented hot path",
                f.display(),
                i + 1
            );
        }
    }
}
