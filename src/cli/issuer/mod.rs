//! `lanedesk issuer`: the reference service (`serve`), what a phone asks of it (`mint`),
//! what its operators do to its database (`cards`, `lanes`, `keys`, `anchor`) and the
//! load tool, and `tls-init` (a private CA and the service's certificate).

mod cards;
mod mint;
mod serve;
mod tls;
mod trust;

use std::process::ExitCode;

use clap::Subcommand;

pub use cards::CardsCommand;
pub use mint::{LoadArgs, MintArgs};
pub use serve::ServeArgs;
pub use trust::{AnchorArgs, KeysCommand, LanesCommand};

use super::{EXIT_COULD_NOT, fail, log_to_stderr, runtime};

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Run the reference issuance service (API v1), seeded from the fixtures.
    #[command(
        after_help = "--db takes a SQLite file (one instance) or postgres://USER@HOST[:PORT]/DATABASE \
(any number of instances on one database). Flags win over the --config file, whose keys are \
the flags' names (listen, db, demo, lane-token, admin-token, retain-days, pool-size, log-format, ...).\n\n\
Lanes present their own tokens (`lanedesk issuer lanes add`); phones present their card's holder \
secret (`lanedesk issuer cards enrol`). --demo opens the card list and minting to anyone and \
accepts one shared --lane-token: for the demo, training and load tests, never at a checkpoint.\n\n\
Endpoints beside API v1: GET /v1/ready (database reachable), GET /metrics (Prometheus), and the \
admin API under /v1/admin/ (card lifecycle; only with --admin-token).\n\n\
Examples:\n  lanedesk issuer serve --db /var/lib/lanedesk/issuer.sqlite --tls-cert cert.pem --tls-key key.pem\n  lanedesk issuer serve --demo --lane-token s3cret\n  lanedesk issuer serve --db postgres://lanedesk@127.0.0.1/lanedesk --admin-token adm1n --log-format json\n  lanedesk issuer serve --config /etc/lanedesk/issuer.toml"
    )]
    Serve(ServeArgs),
    /// Ask the service for a fresh QR code for a card, as the traveller's phone app would.
    #[command(
        after_help = "Outside demo mode the card's holder secret is needed (--holder-secret or LANEDESK_HOLDER_SECRET).\n\n\
Examples:\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card T01\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card hk-resident --png t01.png\n  LANEDESK_HOLDER_SECRET=ldh_... lanedesk issuer mint --service https://issuer.example:8443 --card 4183a684ec00a4b6014fdd33db35ec40"
    )]
    Mint(MintArgs),
    /// Revoke, suspend, report lost or reinstate a card, or enrol its holder, in the
    /// service's database. Lanes see the new status at their next verification.
    #[command(subcommand)]
    Cards(CardsCommand),
    /// Give each lane its own token (bound to its checkpoint and lane), list or revoke them.
    #[command(subcommand)]
    Lanes(LanesCommand),
    /// Rotate the signing keys: a new active key, the old one retired; lanes pick up the
    /// new trust list at their next refresh.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the trust anchor's public key, for every lane's `trust-anchor` setting.
    #[command(
        after_help = "The anchor signs the trust list; lanes pin it and refuse a list it did not sign.\n\n\
Example:\n  lanedesk issuer anchor --db /var/lib/lanedesk/issuer.sqlite"
    )]
    Anchor(AnchorArgs),
    /// Play many lanes against one or more running services and print one JSON line with
    /// throughput, latency, errors and false replays.
    #[command(
        after_help = "Each lane, in a loop: gets a fresh code as a phone would (POST /v1/cards/{card}/tokens), \
verifies it, and posts an approved entry. The services must run with --demo (open minting and \
one shared lane token). Lanes are spread over the --service URLs round robin.\n\n\
Prints: {\"lanes\":..,\"verifications\":..,\"per_second\":..,\"p50_ms\":..,\"p99_ms\":..,\"errors\":..,\"false_replays\":..}. \
Exits 1 when there were errors or false replays.\n\n\
Examples:\n  lanedesk issuer load --service http://127.0.0.1:8443 --lane-token s3cret --lanes 50 --seconds 20\n  lanedesk issuer load --service http://10.0.0.5:8443,http://10.0.0.6:8443 --lane-token s3cret --lanes 500 --seconds 60"
    )]
    Load(LoadArgs),
    /// Make a private CA and a server certificate for the service's HTTPS, and print the
    /// settings for the service and the lanes.
    TlsInit(tls::TlsInitArgs),
}

pub fn run(command: IssuerCommand) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    match command {
        IssuerCommand::Serve(args) => rt.block_on(serve::serve(args)),
        IssuerCommand::Mint(args) => rt.block_on(mint::mint(args)),
        IssuerCommand::Cards(command) => rt.block_on(cards::cards(command)),
        IssuerCommand::Lanes(command) => rt.block_on(trust::lanes(command)),
        IssuerCommand::Keys(command) => rt.block_on(trust::keys(command)),
        IssuerCommand::Anchor(args) => rt.block_on(trust::anchor(args)),
        IssuerCommand::Load(args) => rt.block_on(mint::load(args)),
        IssuerCommand::TlsInit(args) => tls::run(args),
    }
}

/// The database an operator's command works on: the one given, or the one `issuer serve`
/// uses without `--db` (said on stderr, so the operator knows which file was changed).
fn database(given: Option<&str>) -> crate::issuer::store::DbLocation {
    match given {
        Some(db) => crate::issuer::store::DbLocation::parse(db),
        None => {
            let around = crate::app::issuer_places::Surroundings::of_this_process();
            let (path, why) = crate::app::issuer_places::default_db(&around);
            eprintln!(
                "lanedesk: database {} ({why}; --db to choose another)",
                path.display()
            );
            crate::issuer::store::DbLocation::Sqlite(path)
        }
    }
}
