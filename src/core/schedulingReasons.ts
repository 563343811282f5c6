// kube-scheduler's FailedScheduling message, parsed into reasons. The message is FitError.Error()
// (pkg/scheduler/framework/types.go, 1.30 to 1.36): "0/<N> nodes are available: <PreFilterMsg>." or
// "0/<N> nodes are available: <count> <reason>, <count> <reason>." followed by the PostFilter plugins' messages
// joined by ", " (Status.Message): DynamicResources' "no new claims to deallocate" (1.34+, DRA on by default) and
// DefaultPreemption's "preemption: 0/<N> nodes are available: ...". Reason strings are the plugins' own
// (pkg/scheduler/framework/plugins/*); test/fixtures/scheduler/messages.yaml cites each with its version.

export type SchedulingReasonKind =
  /** noderesources: "Insufficient nvidia.com/gpu" */
  | 'insufficient'
  /** noderesources: "Too many pods" */
  | 'tooManyPods'
  /** tainttoleration: "had untolerated taint {k: v}" (to 1.33), "had untolerated taint(s)" (1.34+) */
  | 'taint'
  /** nodeaffinity: "didn't match Pod's node affinity/selector" or scheduler-enforced affinity */
  | 'nodeSelector'
  /** podtopologyspread */
  | 'topologySpread'
  /** volumebinding, volumezone, volumerestrictions, nodevolumelimits, a missing or unbound PVC */
  | 'volume'
  /** nodeunschedulable: cordoned or unknown conditions */
  | 'unschedulable'
  /** interpodaffinity: affinity */
  | 'podAffinity'
  /** interpodaffinity: the pod's or existing pods' anti-affinity */
  | 'podAntiAffinity'
  /** nodeports */
  | 'ports'
  /** nodename */
  | 'nodeName'
  /** dynamicresources (Filter/PreFilter) */
  | 'resourceClaim'
  /** defaultpreemption: no node where evicting lower-priority pods would help */
  | 'preemptionNotHelpful'
  /** gangscheduling (1.35+), waiting for a gang's pods */
  | 'gang'
  /** schedulinggates: the pod is gated */
  | 'schedulingGates'
  /** the cluster has no nodes at all */
  | 'noNodes'
  | 'other';

export interface SchedulingReason {
  kind: SchedulingReasonKind;
  /** How many nodes gave this reason (absent for a PreFilter message, which applies to all). */
  nodes?: number;
  /** Resource for 'insufficient' ("nvidia.com/gpu", "cpu"). */
  resource?: string;
  /** Taint named by the message (up to 1.33). */
  taint?: { key: string; value: string };
  /** PersistentVolumeClaim named by the message. */
  claim?: string;
  /** The scheduler's own words for this reason. */
  text: string;
}

export interface ParsedSchedulingMessage {
  /** Node count the scheduler considered (N of "0/N nodes are available"). */
  totalNodes?: number;
  /** PreFilter or per-node Filter reasons, in the scheduler's (sorted) order. */
  reasons: SchedulingReason[];
  /** DefaultPreemption's verdict per node, when it ran. */
  preemption?: SchedulingReason[];
  /** PostFilter messages other than preemption ("no new claims to deallocate"). */
  postFilter: string[];
  /** The message up to the end of its first sentence: never cut mid-sentence, without the PostFilter tail. */
  headline: string;
}

const HEAD = /^0\/(\d+) nodes are available:\s*/;

/** One clause (without its node count) to a reason. */
export function classifyReason(text: string, nodes?: number): SchedulingReason {
  const r = (kind: SchedulingReasonKind, extra: Partial<SchedulingReason> = {}): SchedulingReason => {
    const out: SchedulingReason = { kind, text, ...extra };
    if (nodes !== undefined) out.nodes = nodes;
    return out;
  };
  let m: RegExpExecArray | null;
  if ((m = /^Insufficient (\S+)$/.exec(text))) return r('insufficient', { resource: m[1] });
  if (text === 'Too many pods') return r('tooManyPods');
  // "{key: value}" (1.30-1.33); before 1.25: "had taint {key: value}, that the pod didn't tolerate"
  if ((m = /^node\(s\) had (?:untolerated )?taint \{([^:}]*): ?([^}]*)\}/.exec(text)))
    return r('taint', { taint: { key: m[1], value: m[2] } });
  if (/^node\(s\) had (untolerated taint\(s\)|taints that the pod didn't tolerate)/.test(text))
    return r('taint');
  if (/^node\(s\) didn't match (Pod's node affinity\/selector|scheduler-enforced node affinity)/.test(text))
    return r('nodeSelector');
  if (text === 'pod affinity terms conflict') return r('nodeSelector');
  if (/^node\(s\) didn't match pod topology spread constraints/.test(text)) return r('topologySpread');
  if (/^node\(s\) didn't match pod affinity rules/.test(text)) return r('podAffinity');
  if (/anti-affinity rules/.test(text)) return r('podAntiAffinity');
  if (/^node\(s\) didn't have free ports/.test(text)) return r('ports');
  if (/^node\(s\) didn't match the requested node name/.test(text)) return r('nodeName');
  if (/^node\(s\) (were unschedulable|had unknown conditions)/.test(text)) return r('unschedulable');
  if ((m = /^persistentvolumeclaim "([^"]+)" not found/.exec(text))) return r('volume', { claim: m[1] });
  if (
    /PersistentVolume|persistent volumes|pvc\(s\)|free storage|volume zone|available disk|max volume count|volume node affinity/i.test(
      text,
    )
  )
    return r('volume');
  if (/^(Preemption is not helpful|No preemption victims found)/.test(text)) return r('preemptionNotHelpful');
  if (/resourceclaim|cannot allocate all claims|ResourceClaim/i.test(text)) return r('resourceClaim');
  if (/gang|pod group/i.test(text)) return r('gang');
  if (/scheduling gates/i.test(text)) return r('schedulingGates');
  return r('other');
}

/** "1 node(s) had ..., 6 Insufficient nvidia.com/gpu" (a sorted histogram) or a PreFilter message. */
function parseClauses(s: string): SchedulingReason[] {
  const body = s.trim();
  if (!body) return [];
  if (!/^\d+ /.test(body)) return [classifyReason(body)];
  // split before each "<count> " that follows ", " so taint values and claim names keep their commas out
  return body.split(/, (?=\d+ )/).map((c) => {
    const m = /^(\d+) (.*)$/s.exec(c)!;
    return classifyReason(m[2].trim(), Number(m[1]));
  });
}

/** End of the first sentence: a "." followed by a space or the end (dots inside "nvidia.com/gpu" don't count). */
function firstSentenceEnd(s: string): number {
  const m = /\.(\s|$)/.exec(s);
  return m ? m.index : s.length;
}

export function parseSchedulingMessage(message: string): ParsedSchedulingMessage {
  const msg = message.trim();
  const head = HEAD.exec(msg);
  if (!head) {
    const end = firstSentenceEnd(msg);
    const headline = msg.slice(0, end);
    let reason: SchedulingReason;
    if (/^no nodes available to schedule pods/.test(msg)) reason = { kind: 'noNodes', text: headline };
    else if (/scheduling gates/i.test(msg)) reason = { kind: 'schedulingGates', text: headline };
    else reason = classifyReason(headline);
    return { reasons: msg ? [reason] : [], postFilter: [], headline };
  }
  const totalNodes = Number(head[1]);
  const rest = msg.slice(head[0].length);
  const end = firstSentenceEnd(rest);
  const reasons = parseClauses(rest.slice(0, end));
  const out: ParsedSchedulingMessage = {
    totalNodes,
    reasons,
    postFilter: [],
    headline: msg.slice(0, head[0].length + end).trim(),
  };
  const post = rest.slice(end + 1).trim();
  if (!post) return out;
  const p = post.indexOf('preemption: ');
  const before = (p >= 0 ? post.slice(0, p) : post).replace(/[,\s]+$/, '');
  if (before) out.postFilter = before.split(/,\s*/).filter(Boolean);
  if (p >= 0) {
    const inner = post.slice(p + 'preemption: '.length).trim();
    const ih = HEAD.exec(inner);
    if (ih) {
      const r = inner.slice(ih[0].length);
      out.preemption = parseClauses(r.slice(0, firstSentenceEnd(r)));
    } else {
      out.preemption = [classifyReason(inner.replace(/\.$/, ''))];
    }
  }
  return out;
}

/** The reasons' node counts for one kind, summed. */
export function nodesWith(p: ParsedSchedulingMessage, kind: SchedulingReasonKind): number {
  return p.reasons.filter((r) => r.kind === kind).reduce((a, r) => a + (r.nodes ?? p.totalNodes ?? 0), 0);
}
