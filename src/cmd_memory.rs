//! `pupitre scene …`, `reset`, `export` and `import`: the desk's memory from the command line.
//! With pupitre running, commands go to it through its control socket (it owns the desk);
//! without, what can be done on the files alone is done on them.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};

use pupitre::config::Config;
use pupitre::control::{self, ControlError};
use pupitre::state::exchange::{self, Format};
use pupitre::state::memory::{offline, DocumentFormat};
use pupitre::state::{defaults, Command, Reply, StateDir};

/// Which pupitre's state: `--state-dir`, else the config's `[state] dir`, else the standard
/// folder.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The state folder of the pupitre to talk to (as given to `run --state-dir`).
    #[arg(long, value_name = "DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// Or the config file whose [state] dir it uses.
    #[arg(
        long,
        short,
        value_name = "FILE",
        global = true,
        conflicts_with = "state_dir"
    )]
    config: Option<PathBuf>,
}

impl StateArgs {
    /// The state folder these arguments name.
    pub fn resolve(&self) -> Result<StateDir> {
        if let Some(d) = &self.state_dir {
            return Ok(StateDir::new(d));
        }
        if let Some(c) = &self.config {
            let config = Config::load(c).map_err(|e| anyhow!("{e}"))?;
            return StateDir::from_config(&config.state)
                .ok_or_else(|| anyhow!("{} keeps no state", c.display()));
        }
        StateDir::standard().ok_or_else(|| {
            anyhow!("no state folder: give --state-dir DIR (no $STATE_DIRECTORY, $XDG_STATE_HOME or $HOME)")
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum SceneCommand {
    /// List the scenes: slot, name, scope, values, when saved.
    List,
    /// Save the running desk (or part of it) as a scene.
    ///
    /// Examples:
    ///   pupitre scene save "Sunday service"
    ///   pupitre scene save "Band EQ" --slot 12 --scope eq --scope x32:/bus/01
    Save {
        /// The scene's name (1 to 40 characters).
        name: String,
        /// The slot, 1–99 (default: the first free one; an existing scene there is replaced).
        #[arg(long, value_name = "N")]
        slot: Option<u32>,
        /// What to save (repeatable): all, x32, camilla, stabilizer, faders, mutes, eq, sends,
        /// names, a strip such as x32:/ch/01, or a pattern such as "x32:/ch/0*/eq/*".
        #[arg(long, value_name = "PATTERN")]
        scope: Vec<String>,
    },
    /// Put a scene back on the desk and the mixers (controllers follow).
    Recall {
        /// The scene's slot number or name.
        scene: String,
    },
    /// Give a scene another name.
    Rename {
        /// The scene's slot number or name.
        scene: String,
        /// The new name.
        name: String,
    },
    /// Delete a scene.
    Delete {
        /// The scene's slot number or name.
        scene: String,
    },
}

/// `pupitre scene …`.
pub async fn scene(state: StateArgs, command: SceneCommand) -> Result<()> {
    let dir = state.resolve()?;
    let request = match &command {
        SceneCommand::List => Command::List,
        SceneCommand::Save { name, slot, scope } => Command::Save {
            slot: *slot,
            name: name.clone(),
            scope: scope.clone(),
        },
        SceneCommand::Recall { scene } => Command::Recall {
            scene: scene.clone(),
        },
        SceneCommand::Rename { scene, name } => Command::Rename {
            scene: scene.clone(),
            name: name.clone(),
        },
        SceneCommand::Delete { scene } => Command::Delete {
            scene: scene.clone(),
        },
    };
    match control::ask(&dir, &request).await {
        Ok(reply) => {
            if matches!(command, SceneCommand::List) {
                print_list(&reply);
                return Ok(());
            }
            done(reply)
        }
        Err(ControlError::NotRunning { .. }) => offline_scene(&dir, command),
        Err(e) => Err(e.into()),
    }
}

fn offline_scene(dir: &StateDir, command: SceneCommand) -> Result<()> {
    let slot_of = |scene: &str| -> Result<u32> {
        if let Ok(n) = scene.parse() {
            return Ok(n);
        }
        let (list, _) = offline::list(dir);
        list.iter()
            .find(|s| s.name.eq_ignore_ascii_case(scene))
            .map(|s| s.slot)
            .ok_or_else(|| anyhow!("no scene called {scene:?} in {}", dir.path().display()))
    };
    match command {
        SceneCommand::List => {
            let (scenes, problems) = offline::list(dir);
            for p in problems {
                eprintln!("pupitre: {p}");
            }
            print_list(&Reply {
                ok: true,
                scenes,
                ..Reply::default()
            });
            Ok(())
        }
        SceneCommand::Rename { scene, name } => {
            println!("{}", offline::rename(dir, slot_of(&scene)?, &name).map_err(|e| anyhow!(e))?);
            Ok(())
        }
        SceneCommand::Delete { scene } => {
            println!("{}", offline::delete(dir, slot_of(&scene)?).map_err(|e| anyhow!(e))?);
            Ok(())
        }
        SceneCommand::Save { .. } | SceneCommand::Recall { .. } => bail!(
            "pupitre is not running with the state folder {}: saving and recalling scenes go \
             through the running desk (start it with `pupitre run`, or give the --state-dir it uses)",
            dir.path().display()
        ),
    }
}

fn print_list(reply: &Reply) {
    if reply.scenes.is_empty() {
        println!("no scenes yet; save one with `pupitre scene save NAME`");
        return;
    }
    println!(
        "{:>4}  {:<24}  {:>6}  {:<20}  scope",
        "slot", "name", "values", "saved"
    );
    for s in &reply.scenes {
        println!(
            "{:>4}  {:<24}  {:>6}  {:<20}  {}",
            s.slot, s.name, s.values, s.saved, s.scope
        );
    }
}

fn done(reply: Reply) -> Result<()> {
    if reply.ok {
        println!("{}", reply.message);
        Ok(())
    } else {
        bail!("{}", reply.message)
    }
}

/// `pupitre reset`.
pub async fn reset(state: StateArgs, scope: Vec<String>, list: bool) -> Result<()> {
    if list {
        println!("What a reset puts back (state/defaults.rs):");
        for d in defaults::TABLE {
            println!("  {:<52} {}", d.what, d.value);
        }
        return Ok(());
    }
    if scope.is_empty() {
        bail!("say what to reset: a strip (x32:/ch/01), a mixer (x32, camilla), a section (eq, faders…) or all; `--list` shows the defaults");
    }
    let dir = state.resolve()?;
    done(control::ask(&dir, &Command::Reset { scope }).await?)
}

/// `pupitre export`.
pub async fn export(state: StateArgs, out: PathBuf, scenes: Vec<String>) -> Result<()> {
    let format = Format::of_path(&out)
        .ok_or_else(|| anyhow!("{}: the file name must end in .json or .xml", out.display()))?;
    let dir = state.resolve()?;
    let request = Command::Export {
        format: format.into(),
        scenes: scenes.clone(),
    };
    let (document, summary) = match control::ask(&dir, &request).await {
        Ok(reply) if reply.ok => {
            let doc = reply
                .document
                .ok_or_else(|| anyhow!("the running pupitre sent no document"))?;
            (doc, reply.message)
        }
        Ok(reply) => bail!("{}", reply.message),
        Err(ControlError::NotRunning { .. }) => {
            let slots = scenes
                .iter()
                .map(|s| {
                    s.parse::<u32>().map_err(|_| {
                        anyhow!("without a running pupitre, name scenes by slot number, not {s:?}")
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let (doc, bundle) = offline::export(&dir, format, &slots).map_err(|e| anyhow!(e))?;
            (
                doc,
                format!(
                    "{} settings and {} scenes",
                    bundle.settings.len(),
                    bundle.scenes.len()
                ),
            )
        }
        Err(e) => return Err(e.into()),
    };
    pupitre::state::write_atomic(&out, document.as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("exported {summary} to {}", out.display());
    Ok(())
}

/// `pupitre import`.
pub async fn import(state: StateArgs, file: PathBuf, replace: bool, check: bool) -> Result<()> {
    let format = Format::of_path(&file).ok_or_else(|| {
        anyhow!(
            "{}: the file name must end in .json or .xml",
            file.display()
        )
    })?;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    // Checked here first, so a bad file is refused with its line and column and nothing
    // changes, whether or not pupitre runs.
    let bundle = exchange::read(&text, format, &file).map_err(|e| anyhow!("{e}"))?;
    if check {
        println!(
            "{}: {} settings and {} scenes, all valid",
            file.display(),
            bundle.settings.len(),
            bundle.scenes.len()
        );
        return Ok(());
    }
    let dir = state.resolve()?;
    let request = Command::Import {
        document: text,
        format: DocumentFormat::from(format),
        source: file.display().to_string(),
        replace,
    };
    match control::ask(&dir, &request).await {
        Ok(reply) => done(reply),
        Err(ControlError::NotRunning { .. }) => {
            println!(
                "{}",
                offline::import(&dir, bundle, replace).map_err(|e| anyhow!(e))?
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
