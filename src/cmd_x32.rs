//! `pupitre backup|restore|analyze`: the X32's state to a JSON file and back, and which bus
//! or matrix feeds the livestream.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pupitre::x32::backup::{nodes_for, Backup, Console, ConsoleInfo, NodeDiff, Pacing, Section};
use pupitre::x32::routing::{analyze, read_routing};

/// Which X32, and how hard to push it.
#[derive(Debug, Args)]
pub struct Target {
    /// The X32's address: host or host:port (port 10023 when not given).
    #[arg(long, value_name = "ADDR", conflicts_with = "config")]
    x32: Option<String>,
    /// Take the X32's address from a pupitre config file ([mixers.x32] address).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Requests in flight at once (lower it on a weak Wi-Fi link).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    window: u16,
    /// Milliseconds to wait for an answer before asking again (longer on each retry).
    #[arg(long, default_value_t = 300, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=10_000))]
    timeout_ms: u64,
    /// How many times to ask again before giving up on a node.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=50))]
    retries: u32,
}

impl Target {
    fn pacing(&self) -> Pacing {
        Pacing {
            window: usize::from(self.window),
            timeout: Duration::from_millis(self.timeout_ms),
            retries: self.retries,
        }
    }

    fn given(&self) -> bool {
        self.x32.is_some() || self.config.is_some()
    }

    fn address(&self) -> Result<String> {
        if let Some(a) = &self.x32 {
            return Ok(a.clone());
        }
        let Some(path) = &self.config else {
            anyhow::bail!("give the X32 with --x32 ADDR or --config FILE");
        };
        let config = pupitre::config::Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        match config.x32 {
            Some(x) => Ok(x.address),
            None => anyhow::bail!("{}: has no [mixers.x32] section", path.display()),
        }
    }
}

/// A `--only` list (a newtype, so clap takes it as one value).
#[derive(Debug, Clone)]
pub struct Sections(Vec<Section>);

fn sections(s: &str) -> Result<Sections, String> {
    Section::parse_list(s).map(Sections)
}

/// `pupitre backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    target: Target,
    /// Where to write the backup (JSON, see docs/backup.md).
    #[arg(long, value_name = "FILE.json")]
    out: PathBuf,
    /// Only these sections, comma-separated: channels, auxins, fxreturns, buses, matrices,
    /// main, dcas, mutegroups, routing, outputs (default: all).
    #[arg(long, value_name = "LIST", value_parser = sections)]
    only: Option<Sections>,
}

/// `pupitre restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    #[arg(value_name = "FILE.json")]
    file: PathBuf,
    #[command(flatten)]
    target: Target,
    /// Apply every change without asking.
    #[arg(long, short = 'y', conflicts_with = "dry_run")]
    yes: bool,
    /// Only show what differs; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Only these sections of the backup (same names as for backup --only).
    #[arg(long, value_name = "LIST", value_parser = sections)]
    only: Option<Sections>,
}

/// `pupitre analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Analyze a backup file instead of the live desk.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["x32", "config"])]
    from: Option<PathBuf>,
    #[command(flatten)]
    target: Target,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A bar on stderr when it is a terminal, nothing otherwise.
fn bar(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:32}] {pos}/{len} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

fn follow(bar: &ProgressBar) -> impl FnMut(usize, usize) + '_ {
    move |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }
}

async fn connect(target: &Target) -> Result<(Console, ConsoleInfo)> {
    let console = Console::open(&target.address()?, target.pacing()).await?;
    let info = console.info().await?;
    eprintln!(
        "X32 at {}: {:?}, {} firmware {}",
        info.address, info.name, info.model, info.firmware
    );
    Ok((console, info))
}

/// `pupitre backup`.
pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    let sections = args.only.map_or_else(|| Section::ALL.to_vec(), |s| s.0);
    let paths = nodes_for(&sections);
    let started = Instant::now();
    let (backup, unreadable) = runtime()?.block_on(async {
        let (console, info) = connect(&args.target).await?;
        let bar = bar("reading");
        let read = console.read_nodes(&paths, &mut follow(&bar)).await;
        bar.finish_and_clear();
        let read = read?;
        anyhow::Ok((
            Backup::new(info, sections.clone(), read.nodes),
            read.unreadable,
        ))
    })?;
    backup.save(&args.out)?;
    for u in &unreadable {
        eprintln!("warning: left out, the console's answer does not read: {u}");
    }
    println!(
        "{}: {} nodes ({}) in {:.1} s",
        args.out.display(),
        backup.nodes.0.len(),
        sections
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// What the person answered for one block.
enum Answer {
    Yes,
    No,
    All,
    Quit,
}

fn ask(diff: &NodeDiff, input: &mut impl BufRead) -> Answer {
    loop {
        eprint!("apply {}? [y]es/[n]o/[a]ll/[q]uit ", diff.path);
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        match input.read_line(&mut line) {
            // No more answers: stop asking, apply nothing more.
            Ok(0) | Err(_) => {
                eprintln!();
                return Answer::Quit;
            }
            Ok(_) => {}
        }
        match line.trim().to_lowercase().as_str() {
            "y" | "yes" => return Answer::Yes,
            "n" | "no" => return Answer::No,
            "a" | "all" => return Answer::All,
            "q" | "quit" => return Answer::Quit,
            other => eprintln!("{other:?}: answer y, n, a or q"),
        }
    }
}

/// `pupitre restore`.
pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    // A file that does not read changes nothing: it is read before the desk is touched.
    let backup = Backup::load(&args.file)?;
    let only = args.only.as_ref().map(|s| nodes_for(&s.0));
    eprintln!(
        "{}: {} nodes from {:?} ({}), taken {}",
        args.file.display(),
        backup.nodes.0.len(),
        backup.console.name,
        backup.console.model,
        backup.created
    );
    let rt = runtime()?;
    let (console, diffs) = rt.block_on(async {
        let (console, _) = connect(&args.target).await?;
        let bar = bar("comparing");
        let diffs = console
            .plan_restore(&backup, only.as_deref(), &mut follow(&bar))
            .await;
        bar.finish_and_clear();
        anyhow::Ok((console, diffs?))
    })?;
    if diffs.is_empty() {
        println!("the desk already matches {}", args.file.display());
        return Ok(ExitCode::SUCCESS);
    }
    for d in &diffs {
        print!("{d}");
    }
    let params: usize = diffs.iter().map(|d| d.changes.len()).sum();
    println!(
        "{params} parameters differ in {} nodes (desk → backup)",
        diffs.len()
    );
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let chosen = choose(&diffs, args.yes, &mut std::io::stdin().lock());
    if chosen.is_empty() {
        println!("nothing applied");
        return Ok(ExitCode::SUCCESS);
    }
    let applied = rt.block_on(async {
        let bar = bar("writing");
        let applied = console.apply_restore(&chosen, &mut follow(&bar)).await;
        bar.finish_and_clear();
        applied
    })?;
    if applied.not_taken.is_empty() {
        println!("wrote {} nodes; every parameter took", applied.written);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "wrote {} nodes; these parameters still differ after reading back (desk → backup):",
        applied.written
    );
    for d in &applied.not_taken {
        print!("{d}");
    }
    Ok(ExitCode::FAILURE)
}

fn choose(diffs: &[NodeDiff], yes: bool, input: &mut impl BufRead) -> Vec<NodeDiff> {
    if yes {
        return diffs.to_vec();
    }
    let mut chosen = Vec::new();
    for (i, d) in diffs.iter().enumerate() {
        match ask(d, input) {
            Answer::Yes => chosen.push(d.clone()),
            Answer::No => {}
            Answer::All => {
                chosen.extend(diffs[i..].iter().cloned());
                break;
            }
            Answer::Quit => break,
        }
    }
    chosen
}

/// `pupitre analyze`.
pub fn analyze_cmd(args: AnalyzeArgs) -> Result<ExitCode> {
    let backup = match &args.from {
        Some(file) => Backup::load(file)?,
        None => {
            if !args.target.given() {
                anyhow::bail!("give --from FILE.json, --x32 ADDR or --config FILE");
            }
            let address = args.target.address()?;
            runtime()?.block_on(async {
                let bar = bar("reading");
                let b = read_routing(&address, args.target.pacing(), &mut follow(&bar)).await;
                bar.finish_and_clear();
                b
            })?
        }
    };
    let source = args.from.as_deref().map_or_else(
        || format!("the X32 at {}", backup.console.address),
        |f: &Path| f.display().to_string(),
    );
    println!("Routing of {source}:");
    print!("{}", analyze(&backup));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(path: &str) -> NodeDiff {
        NodeDiff {
            path: path.into(),
            changes: vec![],
            fields: "ON".into(),
        }
    }

    #[test]
    fn answers_yes_no_all_quit() {
        let diffs: Vec<NodeDiff> = ["/a", "/b", "/c", "/d"].map(diff).to_vec();
        let pick = |input: &str| -> Vec<String> {
            choose(&diffs, false, &mut input.as_bytes())
                .into_iter()
                .map(|d| d.path)
                .collect()
        };
        assert_eq!(pick("y\nn\nmaybe\na\n"), ["/a", "/c", "/d"]);
        assert_eq!(pick("n\ny\nq\n"), ["/b"]);
        assert_eq!(pick("y\n"), ["/a"], "no more answers stops");
        assert_eq!(choose(&diffs, true, &mut "".as_bytes()).len(), 4);
    }
}
