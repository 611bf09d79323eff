//! Crash- and reader-safe file updates: write a temporary file beside the target, flush
//! it to disk, then rename it over the target. A reader (the running node) sees either
//! the old file or the new one, never a partial write.

use std::{
    fs::{self, File, OpenOptions},
    io::Write as _,
    path::{Path, PathBuf},
};

use crate::GatewayError;

/// Creates `dir` (and its parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> Result<(), GatewayError> {
    fs::create_dir_all(dir).map_err(GatewayError::io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(GatewayError::io(dir))?;
    }
    Ok(())
}

/// A temporary path in the folder of `target`, hidden and unique to this write.
pub fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nonce: u64 = rand::random();
    target.with_file_name(format!(".{name}.{nonce:016x}.tmp"))
}

/// Sets owner-only permissions on a file holding secrets or token hashes.
pub fn make_private(path: &Path) -> Result<(), GatewayError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(GatewayError::io(path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Moves `from` over `to` and flushes the folder so the rename survives a crash.
pub fn replace(from: &Path, to: &Path) -> Result<(), GatewayError> {
    fs::rename(from, to).map_err(|source| {
        let _ = fs::remove_file(from);
        GatewayError::Io {
            path: to.to_path_buf(),
            source,
        }
    })?;
    if let Some(dir) = to.parent()
        && let Ok(handle) = File::open(dir)
    {
        // Best effort: not every platform can fsync a directory.
        let _ = handle.sync_all();
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, owner-readable only.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GatewayError> {
    let temp = temp_path(path);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(GatewayError::io(&temp))?;
        make_private(&temp)?;
        file.write_all(bytes).map_err(GatewayError::io(&temp))?;
        file.sync_all().map_err(GatewayError::io(&temp))
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    replace(&temp, path)
}

/// Reads at most `max` bytes of `path`; `None` when it does not exist.
pub fn read_bounded(path: &Path, max: u64) -> Result<Option<Vec<u8>>, GatewayError> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(GatewayError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if metadata.len() > max {
        return Err(GatewayError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "file of {} bytes exceeds the limit of {max}",
                metadata.len()
            )),
        });
    }
    fs::read(path).map(Some).map_err(GatewayError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("tokens.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(read_bounded(&path, 3).is_err());
        assert_eq!(read_bounded(&path, 6).unwrap().unwrap(), b"second");
        assert!(read_bounded(&dir.path().join("none"), 6).unwrap().is_none());
    }
}
