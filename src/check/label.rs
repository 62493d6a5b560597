//! Rule labels (SPEC §9 `rule_cancelled.rule`): the header as `bp fmt` prints it without its
//! `unless`/`if` (`syntax::print::rule_label`: `after 1 day`, `after 2 hours in working
//! hours`, `at deal.close_date - 1 day`), with ` #2`, ` #3` added to the second and later rules
//! of one stage that share a label.

use std::collections::HashMap;

use crate::ast;

/// The label of one rule, without the ` #N` suffix.
pub(crate) fn rule_label(rule: &ast::Rule) -> String {
    crate::syntax::print::rule_label(rule)
}

/// Adds ` #2`, ` #3` … to the second and later rules of a stage that share a label.
pub(crate) fn number_duplicates(labels: &mut [String]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for label in labels.iter_mut() {
        let count = seen.entry(label.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            label.push_str(&format!(" #{count}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_labels_are_numbered() {
        let mut labels: Vec<String> =
            ["after 1 day", "on enter", "after 1 day", "after 1 day"].map(String::from).to_vec();
        number_duplicates(&mut labels);
        assert_eq!(labels, ["after 1 day", "on enter", "after 1 day #2", "after 1 day #3"]);
    }
}
