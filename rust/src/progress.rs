//! Progress of an import: how far the engine has read the file it imports.
//!
//! The SDK's import opens and reads the file itself and reports nothing
//! until it is done. On Linux the file position of an open descriptor is
//! public in `/proc/self/fdinfo`, so the progress is read from there, on a
//! timer, while the import runs: bytes read out of the file's size. Where
//! that is not available only the start (0) and the end (the size) are
//! reported.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::time::Duration;

use futures::future::{select, Either};

use crate::error::{FfiError, FfiResult};
use crate::response::sdk_error;

/// How often the position is read while an import runs.
const INTERVAL: Duration = Duration::from_millis(100);

/// Receives `(bytes done, bytes in all)`; called on a runtime thread, with
/// `done` never decreasing and the last call `(total, total)` on success.
/// Answers whether the import goes on (the last call's answer is not used).
pub type ProgressFn = Box<dyn FnMut(u64, u64) -> bool + Send>;

pub struct ImportProgress {
    report: ProgressFn,
}

impl ImportProgress {
    pub fn new(report: ProgressFn) -> Self {
        Self { report }
    }

    /// Runs `import` of `path`, reporting progress meanwhile.
    pub async fn watch<F>(mut self, path: &Path, import: F) -> FfiResult<()>
    where
        F: Future<Output = surrealdb::Result<()>>,
    {
        let total = std::fs::metadata(path).map_or(0, |meta| meta.len());
        let canonical = std::fs::canonicalize(path).ok();
        let mut done = 0;
        if !(self.report)(done, total) {
            return Err(stopped());
        }
        let mut import = pin!(import);
        loop {
            let tick = pin!(tokio::time::sleep(INTERVAL));
            match select(import.as_mut(), tick).await {
                Either::Left((result, _)) => {
                    result.map_err(sdk_error)?;
                    (self.report)(total, total);
                    return Ok(());
                }
                Either::Right(((), _)) => {
                    let position = canonical.as_deref().and_then(read_position);
                    if let Some(position) = position.map(|p| p.min(total)) {
                        if position > done {
                            done = position;
                            if !(self.report)(done, total) {
                                // Dropping the import's future stops it.
                                return Err(stopped());
                            }
                        }
                    }
                }
            }
        }
    }
}

fn stopped() -> FfiError {
    FfiError::internal("the import was stopped by its progress callback")
}

/// The file position of a descriptor of this process open on `path`.
fn read_position(path: &Path) -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    entries.filter_map(Result::ok).find_map(|entry| {
        let target: PathBuf = std::fs::read_link(entry.path()).ok()?;
        if target != path {
            return None;
        }
        let fd = entry.file_name();
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.to_str()?)).ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("pos:"))
            .and_then(|position| position.trim().parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn reads_the_position_of_an_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::fs::canonicalize(dir.path())
            .unwrap()
            .join("dump.surql");
        std::fs::write(&path, [7u8; 1000]).unwrap();
        assert_eq!(read_position(&path), None, "nothing has it open yet");
        let mut reader = std::fs::File::open(&path).unwrap();
        let mut buffer = [0u8; 300];
        reader.read_exact(&mut buffer).unwrap();
        assert_eq!(read_position(&path), Some(300));
        drop(reader);
        assert_eq!(read_position(&path), None);
    }
}
