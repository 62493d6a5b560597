//! `why SEQ` / `:why SEQ` (SPEC §12): the chain that produced an effect — the command, the
//! stage entry or trigger, the rule and its timing with the working-time computation, with
//! source locations. The engine tells it (`Engine::why`, in `runtime/why.rs`); this file
//! reads the argument and styles the answer.

use super::session::Session;
use super::{Reply, Style};

/// `why SEQ` / `:why SEQ`; `#5` is accepted for `5`.
pub(super) fn why(session: &Session, argument: &str) -> Reply {
    let mut reply = Reply::default();
    let seq = argument.trim().trim_start_matches('#');
    let Ok(seq) = seq.parse::<u64>() else {
        reply.fail("usage: why SEQ (the number of an effect, as in `#5`)");
        return reply;
    };
    let engine = session.runner().engine();
    let lines = engine.why(seq);
    if !engine.effects().iter().any(|effect| effect.seq == seq) {
        for line in lines {
            reply.fail(format!("error: {line}"));
        }
        return reply;
    }
    for (i, line) in lines.into_iter().enumerate() {
        reply.out(if i == 0 { Style::Heading } else { Style::Plain }, line);
    }
    reply
}
