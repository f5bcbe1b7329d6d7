//! Order-preserving parallel map for the report phase: `f(0)`, …, `f(n - 1)` computed on up
//! to `threads` threads (the calling thread is one of them), each index taken by the next idle
//! thread, the results returned in index order. So the output is the same whatever the number
//! of threads, and a slow item does not hold up a fixed share of the others.
//!
//! The report phase runs once per run on data that is already complete, so the few lines here
//! serve instead of a work-stealing runtime.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `(0..n).map(f).collect()`, on up to `threads` threads. A panic in `f` is propagated.
pub fn map<T, F>(n: usize, threads: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            let v = f(i);
            *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
    };
    std::thread::scope(|s| {
        // If no thread can be started, the calling thread does the work alone.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("otscope-report".into())
                    .spawn_scoped(s, work)
                    .ok()
            })
            .collect();
        work();
        // Joined here so that a helper's panic reaches the caller with its own message.
        for h in helpers {
            if let Err(e) = h.join() {
                std::panic::resume_unwind(e);
            }
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every index is computed once the scope has ended")
        })
        .collect()
}

/// `items.into_iter().map(f).collect()`, on up to `threads` threads.
pub fn map_into<I, T, F>(items: Vec<I>, threads: usize, f: F) -> Vec<T>
where
    I: Send,
    T: Send,
    F: Fn(I) -> T + Sync,
{
    let slots: Vec<Mutex<Option<I>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    map(slots.len(), threads, |i| {
        let item = slots[i]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("each index is taken once");
        f(item)
    })
}

/// `0..n` cut into `parts` contiguous ranges of nearly equal length (fewer when `n` is small).
pub fn ranges(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|k| n * k / parts..n * (k + 1) / parts)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_in_index_order_for_any_thread_count() {
        let want: Vec<u64> = (0..100u64).map(|i| i * i).collect();
        for threads in [0, 1, 2, 3, 8, 200] {
            // Uneven work, so that threads finish out of order.
            let got = map(100, threads, |i| {
                let spin = (100 - i) * 1000;
                let mut x = 0u64;
                for k in 0..spin as u64 {
                    x = std::hint::black_box(x.wrapping_add(k));
                }
                std::hint::black_box(x);
                (i * i) as u64
            });
            assert_eq!(got, want, "threads = {threads}");
        }
        assert!(map(0, 4, |i| i).is_empty());
    }

    fn message(e: &(dyn std::any::Any + Send)) -> String {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn a_panic_reaches_the_caller_with_its_message() {
        // On the calling thread.
        for threads in [1, 2, 4] {
            let r = std::panic::catch_unwind(|| {
                map(64, threads, |i| {
                    assert!(i != 7, "item 7 fails");
                    i
                })
            });
            let e = r.expect_err("the panic propagates");
            assert!(message(&*e).contains("item 7 fails"), "{threads} threads");
        }
        // On a helper thread only (items take a millisecond, so the helpers get some).
        for threads in [2, 4] {
            let r = std::panic::catch_unwind(|| {
                map(64, threads, |i| {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    let helper = std::thread::current().name() == Some("otscope-report");
                    assert!(!helper, "item {i} fails on a helper");
                    i
                })
            });
            let e = r.expect_err("the panic propagates");
            assert!(
                message(&*e).contains("fails on a helper"),
                "{threads} threads: {:?}",
                message(&*e)
            );
        }
    }

    #[test]
    fn owned_items_are_mapped_in_order() {
        let items: Vec<String> = (0..50).map(|i| format!("item {i}")).collect();
        for threads in [1, 2, 5] {
            let got = map_into(items.clone(), threads, |s| s.len());
            assert_eq!(got, items.iter().map(|s| s.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ranges_cover_everything_once() {
        for n in [0usize, 1, 2, 7, 100] {
            for parts in [0usize, 1, 2, 3, 16] {
                let r = ranges(n, parts);
                let flat: Vec<usize> = r.iter().cloned().flatten().collect();
                assert_eq!(flat, (0..n).collect::<Vec<_>>(), "n={n} parts={parts}");
                assert!(r.len() <= parts.max(1));
            }
        }
    }
}
