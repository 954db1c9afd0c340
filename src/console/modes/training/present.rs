//! Training's effects in its world: the fault switches thrown, the session's clock paused,
//! and a step's code put on the phone as the traveller's app would show it (or a forgery,
//! the previous code again, or a corrupt camera frame).

use tokio::sync::mpsc::UnboundedSender;

use crate::console::effect::TrainingEffect;
use crate::console::modes::world::World;
use crate::console::msg::{Msg, TrainingMsg};
use crate::edges::camera::SourceError;

use super::session::Present;

/// What a reader sends for a step's "corrupt frame": a product barcode, not an e-card code.
const NOT_A_CODE: &str = "4006381333931";

/// Performs a training effect in its world; the answer comes back as a message.
pub async fn perform(
    world: &World,
    effect: TrainingEffect,
    tx: &UnboundedSender<Msg>,
    now: i64,
) -> Option<Msg> {
    match effect {
        TrainingEffect::Faults(faults) => {
            if let Some(board) = &world.switchboard {
                board.set(faults);
            }
            None
        }
        TrainingEffect::Clock { paused } => {
            if let Some(board) = &world.switchboard {
                board.clock.set_paused(paused);
            }
            None
        }
        TrainingEffect::Present {
            step,
            present,
            last_code,
            via_reader,
        } => Some(Msg::Training(
            match code_for(world, present, last_code, tx, now, via_reader).await {
                Ok(code) => TrainingMsg::Shown { step, code },
                Err(message) => TrainingMsg::Failed { message },
            },
        )),
    }
}

/// Puts the step's code on the phone and says which it is (none for a corrupt frame). A
/// step via the reader has the phone held to the reader instead: the code goes down its
/// line, and a corrupt frame becomes a line that is not a code.
async fn code_for(
    world: &World,
    present: Present,
    last_code: Option<String>,
    tx: &UnboundedSender<Msg>,
    now: i64,
    via_reader: bool,
) -> Result<Option<String>, String> {
    if via_reader {
        // What the reader sends, and the code it is (none for a line that is not one).
        let (line, code) = match present {
            Present::Replay => (last_code.clone(), last_code),
            Present::CorruptFrame => (Some(NOT_A_CODE.to_owned()), None),
            fresh => {
                let code = code_of(world, fresh, now).await?;
                (Some(code.clone()), Some(code))
            }
        };
        // Graded headless there is no reader: the grader reads the code itself.
        if let (Some(line), Some(_)) = (&line, &world.reader) {
            world.through_reader(line)?;
        }
        return Ok(code);
    }
    let code = match present {
        Present::Replay => {
            // Someone else, later, with the same code.
            if let Some(code) = &last_code {
                world.show_again(code).await;
            }
            return Ok(last_code);
        }
        Present::CorruptFrame => {
            world.hide();
            let why = read_corrupt_frame(world);
            let _ = tx.send(Msg::CameraFailed {
                message: SourceError::CorruptFrame { why }.to_string(),
            });
            return Ok(None);
        }
        fresh => code_of(world, fresh, now).await?,
    };
    world.show(&code);
    Ok(Some(code))
}

/// A fresh code for a traveller, as their phone app would show it, or a forgery of one.
async fn code_of(world: &World, present: Present, now: i64) -> Result<String, String> {
    let card_of = async |who: &str| {
        world
            .card_of(who)
            .await
            .map_err(|e| format!("training: cannot list the service's cards: {e}"))?
            .ok_or_else(|| {
                format!("training: the service has no card for traveller \"{who}\"; press S to skip the step")
            })
    };
    match present {
        Present::Traveller(who) => {
            let card = card_of(&who).await?;
            let token = world.mint(card).await.map_err(|e| e.to_string())?;
            Ok(token.qr)
        }
        Present::Forged(who) => Ok(world.forgery.code(card_of(&who).await?, now)),
        Present::Replay | Present::CorruptFrame => {
            Err("training: a replay or a corrupt frame has no fresh code".into())
        }
    }
}

/// The corrupt frame goes through the real image loader: it says why nothing can be read.
fn read_corrupt_frame(world: &World) -> String {
    let frame = world.fixtures.join("frames/truncated.png");
    match crate::edges::scanner::load_gray(&frame) {
        Err(e) => e.to_string(),
        Ok(gray) => match crate::edges::scanner::reader::read_still(&gray)
            .found
            .first()
        {
            Some(_) => "the frame was read, though it should not have been".into(),
            None => "the frame's data ends early".into(),
        },
    }
}
