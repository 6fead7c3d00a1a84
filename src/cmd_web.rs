//! `pupitre web pair` and `pupitre web tokens`: pairing codes from the running service, and
//! the paired browsers (listed and unpaired through the service when it runs, else in the
//! state folder's `web-tokens.json` directly).

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;

use pupitre::control::{self, ControlError, PairingReply, WebCommand};
use pupitre::web::{TokenRecord, TokenStore};

use crate::cmd_memory::StateArgs;

#[derive(Debug, Subcommand)]
pub enum WebSubcommand {
    /// Show a one-time pairing code (valid 5 minutes) and the addresses to open.
    ///
    /// Open one of the addresses on the phone, type the code and a name for the phone: the
    /// browser is paired until unpaired with `pupitre web tokens --revoke`. Needs the service
    /// running with [web] enabled = true.
    Pair {
        /// Print the code and addresses as JSON (for scripts).
        #[arg(long)]
        json: bool,
    },
    /// List the paired browsers, or unpair some.
    ///
    /// Examples:
    ///   pupitre web tokens                       who is paired
    ///   pupitre web tokens --revoke 3f9a01c2     unpair one by id
    ///   pupitre web tokens --revoke "Anna's phone"
    ///   pupitre web tokens --revoke-all
    ///
    /// An unpaired browser's open page closes at once and it is back at the pairing page.
    Tokens {
        /// Unpair the browser with this id or device name.
        #[arg(long, value_name = "ID|NAME", conflicts_with = "revoke_all")]
        revoke: Option<String>,
        /// Unpair every browser.
        #[arg(long)]
        revoke_all: bool,
        /// Print JSON (for scripts).
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(state: StateArgs, command: WebSubcommand) -> Result<()> {
    let dir = state.resolve()?;
    match command {
        WebSubcommand::Pair { json } => {
            let reply = match control::ask_web(&dir, &WebCommand::Pair).await {
                Ok(r) => r,
                Err(e @ ControlError::NotRunning { .. }) => {
                    bail!("{e}\npairing codes come from the running service: start it (`pupitre run`), or use the Phone button on its screen")
                }
                Err(e) => return Err(e.into()),
            };
            if !reply.ok {
                bail!("{}", reply.message);
            }
            let offer: PairingReply = serde_json::from_str(reply.document.as_deref().unwrap_or(""))
                .map_err(|e| anyhow!("the running pupitre answered something unreadable: {e}"))?;
            if json {
                println!("{}", serde_json::to_string(&offer)?);
                return Ok(());
            }
            // The reply comes over a socket: split by characters, never mid-character.
            println!("Pairing code:  {}", pupitre::web::auth::spaced(&offer.code));
            println!(
                "Valid for {} min {:02} s, once.",
                offer.valid_s / 60,
                offer.valid_s % 60
            );
            println!("On the phone, open:");
            for url in &offer.urls {
                println!("  {url}");
            }
            println!("and type the code and a name for the phone.");
            Ok(())
        }
        WebSubcommand::Tokens {
            revoke,
            revoke_all,
            json,
        } => {
            let which = if revoke_all {
                Some("*".to_owned())
            } else {
                revoke
            };
            let command = match &which {
                Some(w) => WebCommand::Revoke { which: w.clone() },
                None => WebCommand::Tokens,
            };
            let records: Vec<TokenRecord> = match control::ask_web(&dir, &command).await {
                Ok(reply) if reply.ok => serde_json::from_str(
                    reply.document.as_deref().unwrap_or("[]"),
                )
                .map_err(|e| anyhow!("the running pupitre answered something unreadable: {e}"))?,
                Ok(reply) => bail!("{}", reply.message),
                // Not running: the file is the truth.
                Err(ControlError::NotRunning { .. }) => {
                    let mut store = TokenStore::open(dir.path())?;
                    match &which {
                        Some(w) => store.revoke(w)?,
                        None => store.list()?,
                    }
                }
                Err(e) => return Err(e.into()),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&records)?);
                return Ok(());
            }
            if which.is_some() {
                for r in &records {
                    println!("unpaired {} ({})", r.device, r.id);
                }
                return Ok(());
            }
            if records.is_empty() {
                println!("No browser is paired. Pair one with `pupitre web pair`.");
                return Ok(());
            }
            let width = records
                .iter()
                .map(|r| r.device.chars().count())
                .max()
                .unwrap_or(6)
                .max(6);
            println!("{:<8}  {:<width$}  paired", "id", "device");
            for r in &records {
                println!("{:<8}  {:<width$}  {}", r.id, r.device, r.created);
            }
            Ok(())
        }
    }
}
