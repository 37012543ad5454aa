// What PostgreSQL plans to do for a search: the node types of EXPLAIN (FORMAT JSON), to prove that every
// benchmark and matching-key query is served by an index (no "Seq Scan").
import type { SearchQuery } from '../search';
import { planSearch } from '../search';
import type { Sql } from '../sql';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

export interface ExplainedSearch {
  /** Every node of the plan, depth first: "Index Scan on study (study_partition_id_patient_id_issuer_idx)". */
  nodes: string[];
  seqScans: string[];
}

function walk(node: PlanNode, out: string[]): void {
  const on = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
  const via = node['Index Name'] ? ` (${node['Index Name']})` : '';
  out.push(`${node['Node Type']}${on}${via}`);
  for (const child of node.Plans ?? []) walk(child, out);
}

/**
 * EXPLAINs a search as the planner emits it. `forbidSeqScan` sets enable_seqscan off for the statement, so that a
 * sequential scan shows only where no index can serve the query at all (what a small test database needs: on few
 * rows a scan is cheaper, and PostgreSQL would rightly pick it).
 */
export async function explainSearch(
  sql: Sql,
  query: SearchQuery,
  options: { forbidSeqScan?: boolean; analyze?: boolean } = {},
): Promise<ExplainedSearch> {
  const plan = planSearch(query);
  const rows = await sql.transaction(async (tx) => {
    if (options.forbidSeqScan) await tx.execute('SET LOCAL enable_seqscan = off');
    return tx.query<Record<string, unknown>>(
      `EXPLAIN (FORMAT JSON${options.analyze ? ', ANALYZE' : ''}) ${plan.text}`,
      plan.params,
    );
  });
  const raw = Object.values(rows[0] ?? {})[0];
  const json = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const nodes: string[] = [];
  walk(json[0]!.Plan, nodes);
  return { nodes, seqScans: nodes.filter((n) => n.startsWith('Seq Scan')) };
}
