//! Replacing a file atomically: the bytes go to a temporary in the same folder, created
//! exclusively (so never through a link planted there) under a name no other writer can
//! guess, are synced, then renamed over the target. Temporaries that a killed writer left
//! behind are removed on the next write.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, creating its folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    remove_stale_temporaries(path);
    let (tmp, mut f) = create_temporary(path)?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable (best effort: not every platform can sync a folder).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// The prefix of `path`'s temporaries: `.name.tmp-`.
fn temporary_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    format!(".{name}.tmp-")
}

/// A new file `dir/.name.tmp-<pid>-<random>`, created exclusively.
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    let prefix = temporary_prefix(path);
    let mut last = None;
    for _ in 0..16 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let tmp = path.with_file_name(format!(
            "{prefix}{}-{:016x}",
            std::process::id(),
            h.finish()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Removes `path`'s temporaries whose writer process no longer runs (where the system says
/// which processes run: `/proc` on Linux; elsewhere nothing is removed).
fn remove_stale_temporaries(path: &Path) {
    let proc = Path::new("/proc/self");
    let (Some(dir), true) = (path.parent(), proc.exists()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = temporary_prefix(path);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kiln-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let d = dir("replace");
        let p = d.join("a.bin");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_not_followed() {
        // The old fixed temporary names (`a.bin.tmp`, `.a.bin.tmp-<pid>`) as links to a
        // file that must not change.
        let d = dir("link");
        let victim = d.join("victim");
        fs::write(&victim, b"keep").unwrap();
        let p = d.join("a.bin");
        for planted in [
            d.join("a.bin.tmp"),
            d.join(format!(".a.bin.tmp-{}", std::process::id())),
        ] {
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        write_atomic(&p, b"new").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let d = dir("stale");
        let p = d.join("c.safetensors");
        // A finished child's pid stands for a writer killed between write and rename.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = d.join(format!(".c.safetensors.tmp-{dead}-0123456789abcdef"));
        let live = d.join(format!(
            ".c.safetensors.tmp-{}-fedcba9876543210",
            std::process::id()
        ));
        fs::write(&stale, b"half").unwrap();
        fs::write(&live, b"busy").unwrap();
        write_atomic(&p, b"whole").unwrap();
        assert!(!stale.exists(), "a dead writer's temporary is removed");
        assert!(live.exists(), "a running writer's is not");
    }
}
