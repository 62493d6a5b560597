//! `why SEQ`: the chain that produced an effect (SPEC §12), from `Engine::why`.

use super::session::Session;
use super::{Reply, Style};

/// `why SEQ` / `:why SEQ`.
pub(super) fn why(session: &Session, argument: &str) -> Reply {
    let mut reply = Reply::default();
    let seq = argument.trim().trim_start_matches('#');
    let Ok(seq) = seq.parse::<u64>() else {
        reply.fail("usage: why SEQ (the number of an effect, as in `#5`)");
        return reply;
    };
    let lines = session.runner().engine().why(seq);
    for (i, line) in lines.into_iter().enumerate() {
        reply.out(if i == 0 { Style::Heading } else { Style::Plain }, line);
    }
    reply
}
