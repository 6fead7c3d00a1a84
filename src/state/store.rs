//! The scene files: one `scenes/scene-NN.json` per slot, each an exchange document holding one
//! scene, written atomically. One file a scene means a save, a rename or a delete touches only
//! that scene, and a damaged file costs one scene, not the list.

use std::path::{Path, PathBuf};

use tracing::warn;

use super::exchange::{self, Bundle, Format};
use super::scene::{Scene, SLOTS};
use super::{set_aside, write_atomic};
use crate::tomlfile::{FileError, FileKind};

/// The scene files in one folder.
#[derive(Clone, Debug)]
pub struct SceneStore {
    dir: PathBuf,
}

impl SceneStore {
    /// Scenes under `dir` (the state folder's `scenes`).
    pub fn new(dir: impl Into<PathBuf>) -> SceneStore {
        SceneStore { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, slot: u32) -> PathBuf {
        self.dir.join(format!("scene-{slot:02}.json"))
    }

    /// Every readable scene, by slot. A file that cannot be read is set aside as `….broken`
    /// and reported; the others still load.
    pub fn load_all(&self) -> (Vec<Scene>, Vec<FileError>) {
        let mut scenes = Vec::new();
        let mut problems = Vec::new();
        for slot in 1..=SLOTS {
            match self.load(slot) {
                Ok(Some(s)) => scenes.push(s),
                Ok(None) => {}
                Err(e) => {
                    if e.io_error().is_none() {
                        if let Err(io) = set_aside(&self.file(slot)) {
                            warn!(error = %io, "cannot set the unreadable scene file aside");
                        }
                    }
                    problems.push(e);
                }
            }
        }
        (scenes, problems)
    }

    /// The scene in `slot`, if there is one.
    pub fn load(&self, slot: u32) -> Result<Option<Scene>, FileError> {
        let path = self.file(slot);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FileError::read(&path, FileKind::State, e)),
        };
        let bundle = exchange::read(&text, Format::Json, &path)?;
        let mut scenes = bundle.scenes.into_iter().filter(|s| s.slot == slot);
        Ok(scenes.next())
    }

    /// Write `scene` to its slot's file, replacing what was there.
    pub fn save(&self, scene: &Scene) -> std::io::Result<()> {
        let text = exchange::write(
            &Bundle {
                settings: Vec::new(),
                scenes: vec![scene.clone()],
            },
            Format::Json,
        );
        write_atomic(&self.file(scene.slot), text.as_bytes())
    }

    /// Remove the scene in `slot`; `false` when there was none.
    pub fn delete(&self, slot: u32) -> std::io::Result<bool> {
        match std::fs::remove_file(self.file(slot)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}
