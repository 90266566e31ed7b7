/* policy_selector — the `selectors` of one kprobe or lsmhook: matchArgs,
 * matchReturnArgs, matchBinaries, matchPIDs, matchNamespaces and
 * matchActions, checked against the hook's args and the subset the probes
 * support (policy.h), every problem reported at its node.  Each selector
 * must name its files with an Equal, Prefix or Postfix on the argument
 * that is the watched file (policy_call_path_index). */
#ifndef BPFALERT_POLICY_SELECTOR_H
#define BPFALERT_POLICY_SELECTOR_H

#include "policy.h"
#include "policy_yaml.h"

/* Appends the selectors of `list` to h->selectors (the hook's args must
 * be loaded first: matchArgs refers to them). */
void policy_selectors_load(struct yctx *c, struct policy_hook *h, ynode *list);

void policy_selector_free(struct policy_selector *s);

#endif
