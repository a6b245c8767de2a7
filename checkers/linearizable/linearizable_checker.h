// The `linearizable` checker: are the client operations of a history
// linearizable with respect to a sequential model?
//
// Contract (docs/checkers.md):
//  - name() is "linearizable"; applies() is true when the history has at least
//    one client operation (invoke/ok/fail/info).
//  - options.model picks the model: "register", "cas-register" (default),
//    "kv", "set", "mutex" (models.h lists them). options.initial is the
//    model's initial value as JSON (register/cas-register: any JSON value,
//    default null; kv: a string, default ""; set: an array, default []; mutex:
//    false = free, the default). An unknown model or a bad initial value is an
//    kInvalidInput Error naming it.
//  - Completions follow Jepsen: `ok` happened between invoke and completion;
//    `fail` did not happen; `info` or no completion may have happened at any
//    time after the invoke, or never. Operations that carry a `key` are split
//    by key (P-compositionality: each key is an independent object) and the
//    keys are checked in parallel; the first invalid key ends the search.
//  - Indeterminate ops that no linearization needs are left out before the
//    search, by each model's omit_pending rule (model.h; the rules and their
//    proofs are in the model files): info reads, and for register /
//    cas-register an info write or cas whose new value no op that may come
//    after it observes (kv and set have the like). This never changes the
//    verdict: an info op may always "never happen", and the rule proves that
//    any linearization using the op stays valid without it. findings
//    `info_omitted` / `info_searched` count them; config `omit_info: false`
//    turns the rules off (for comparison).
//  - Past options.deadline the verdict is kUnknown with the reason (never a
//    guess). The search cache is bounded (config `max_cache`, default
//    512MiB, a size string, shared by all partitions; the cache stores each
//    configuration compactly: the linearized ok ops as [prefix length, ranks
//    above it], the linearized info ops as an interned id, and the state):
//    when the bound is hit the search stops and the verdict is kUnknown with
//    reason "memory bound hit: ..." (never a guess, never an eviction that
//    could loop).
//  - On a violation the findings name the key, the operation that cannot be
//    linearized (with its history time/line/index), the longest linearizable
//    prefix found, and the model states reachable just before that operation;
//    `text` says the same for people, and visualize.h draws it.
//  - Config section `linearizable` (all optional): {"model": ..., "initial":
//    ..., "threads": N, "max_cache": "512MiB", "omit_info": true};
//    options.model/options.initial win.
#pragma once

#include <memory>

#include "checkers/checker.h"

namespace faultline::checkers {

std::unique_ptr<Checker> make_linearizable_checker();

}  // namespace faultline::checkers
