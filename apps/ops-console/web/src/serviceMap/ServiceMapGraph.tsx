import dagre from '@dagrejs/dagre';
import { useMemo } from 'react';
import { navigate } from '../../../../shared/web/router.tsx';
import type { MapEdge, MapNode, ServiceMap } from '../../../types.ts';
import { serviceColors } from '../logLine.tsx';
import './serviceMap.css';

/** Box sizes per kind: fixed, so the layout depends on the graph's shape only and stays put while rates change. */
const sizes = { service: { width: 150, height: 52 }, topic: { width: 178, height: 46 }, group: { width: 214, height: 40 } } as const;
const labelSize = { width: 96, height: 16 };

interface Placed {
  nodes: (MapNode & { x: number; y: number; width: number; height: number })[];
  edges: (MapEdge & { points: { x: number; y: number }[]; label?: { x: number; y: number } })[];
  width: number;
  height: number;
}

/** Lays the map out top to bottom with dagre: writers above their topics, above the groups reading them. */
export function layoutServiceMap(nodes: MapNode[], edges: MapEdge[]): Placed {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 34, edgesep: 16, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { ...sizes[node.kind] });
  edges.forEach((edge, i) => {
    const labelled = edge.kind === 'delivers' || (edge.kind === 'produces' && edge.perSecond !== null);
    graph.setEdge(edge.from, edge.to, labelled ? { ...labelSize, labelpos: 'c' } : {}, String(i));
  });
  dagre.layout(graph);
  const { width = 0, height = 0 } = graph.graph();
  return {
    width,
    height,
    nodes: nodes.map((node) => {
      const { x, y, width: w, height: h } = graph.node(node.id);
      return { ...node, x, y, width: w, height: h };
    }),
    edges: edges.map((edge, i) => {
      const placed = graph.edge(edge.from, edge.to, String(i)) as { points: { x: number; y: number }[]; x?: number; y?: number; width?: number };
      return { ...edge, points: placed.points, label: placed.width ? { x: placed.x!, y: placed.y! } : undefined };
    }),
  };
}

/** A smooth path through dagre's points (quadratic segments between their midpoints). */
function pathThrough(points: { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i += 1) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    d += ` Q${points[i].x},${points[i].y} ${mid.x},${mid.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

export const formatRate = (perSecond: number | null) =>
  perSecond === null ? '' : perSecond === 0 ? '0/s' : perSecond < 10 ? `${perSecond.toFixed(1)}/s` : `${Math.round(perSecond)}/s`;

function edgeText(edge: MapEdge): string {
  const rate = formatRate(edge.perSecond);
  if (edge.kind !== 'delivers') return rate;
  const lag = edge.lag === null || edge.lag === undefined ? '' : `lag ${edge.lag}`;
  return [rate, lag].filter(Boolean).join(' · ');
}

function nodeState(node: MapNode): 'ok' | 'warn' | 'bad' | 'plain' {
  if (node.kind === 'service') return node.ready === 0 ? 'bad' : node.ready < node.instances ? 'warn' : 'ok';
  if (node.kind === 'group') return node.lag === null ? 'plain' : node.members === 0 ? 'bad' : node.lag > 100 ? 'warn' : 'ok';
  return node.deadLetters > 0 ? 'warn' : 'plain';
}

function NodeBox({ node }: { node: Placed['nodes'][number] }) {
  const left = node.x - node.width / 2;
  const top = node.y - node.height / 2;
  const state = nodeState(node);
  const target = node.kind === 'service' ? `/services?service=${encodeURIComponent(node.name)}` : '/kafka';
  const colors = node.kind === 'service' ? serviceColors(node.name) : undefined;
  const title =
    node.kind === 'service'
      ? `${node.name}: ${node.ready}/${node.instances} instances ready${node.versions.length ? `, version ${node.versions.join(', ')}` : ''}`
      : node.kind === 'topic'
        ? `Topic ${node.name}: ${node.partitions} partitions${node.perSecond === null ? '' : `, ${formatRate(node.perSecond)} written`}${node.deadLetters ? `, ${node.deadLetters} dead letters` : ''}`
        : `Consumer group ${node.name}: ${node.state}, ${node.members} member${node.members === 1 ? '' : 's'}${node.lag === null ? '' : `, lag ${node.lag}`}`;
  return (
    <a
      href={target}
      className={`map-node map-${node.kind} map-${state}`}
      aria-label={title}
      onClick={(event) => {
        event.preventDefault();
        navigate(target);
      }}
    >
      <g transform={`translate(${left},${top})`}>
      <title>{title}</title>
      <rect width={node.width} height={node.height} rx={node.kind === 'topic' ? 23 : 8} style={colors ? { fill: colors.background, stroke: colors.accent } : undefined} />
      {node.kind === 'service' && (
        <>
          <text x={12} y={21} className="map-name" style={{ fill: colors?.color }}>
            {node.name}
          </text>
          <text x={12} y={39} className="map-detail">
            {node.instances === 0 ? 'not running' : `${node.ready}/${node.instances} ready · v${node.versions.join(', v')}`}
          </text>
          <circle cx={node.width - 14} cy={14} r={5} className="map-dot" />
        </>
      )}
      {node.kind === 'topic' && (
        <>
          <text x={node.width / 2} y={19} textAnchor="middle" className="map-name">
            {node.name}
          </text>
          <text x={node.width / 2} y={35} textAnchor="middle" className="map-detail">
            {[`${node.partitions} partitions`, formatRate(node.perSecond), node.deadLetters ? `${node.deadLetters} DLQ` : ''].filter(Boolean).join(' · ')}
          </text>
        </>
      )}
      {node.kind === 'group' && (
        <>
          <text x={10} y={16} className="map-group-name">
            {node.name.slice(node.name.indexOf('.') + 1)}
          </text>
          <text x={10} y={31} className="map-detail">
            {node.state} · {node.members} member{node.members === 1 ? '' : 's'}
          </text>
        </>
      )}
      </g>
    </a>
  );
}

/** The platform as a live graph: services write topics, consumer groups read them and feed their services. */
export function ServiceMapGraph({ map, showLogs }: { map: ServiceMap; showLogs: boolean }) {
  const { nodes, edges } = useMemo(() => visible(map, showLogs), [map, showLogs]);
  const shape = JSON.stringify([nodes.map((n) => n.id), edges.map((e) => [e.from, e.to, e.kind, e.perSecond !== null])]);
  // Re-laid out only when the graph's shape changes, so boxes do not move while rates tick.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for nodes and edges
  const placed = useMemo(() => layoutServiceMap(nodes, edges), [shape]);
  const byKey = new Map(edges.map((e) => [`${e.from}>${e.to}`, e]));
  return (
    <div className="map-frame">
      <svg
        viewBox={`0 0 ${placed.width} ${placed.height}`}
        width="100%"
        style={{ maxWidth: placed.width, minWidth: Math.min(placed.width, 640) }}
        role="img"
        aria-label="Service map"
      >
        <defs>
          <marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="map-arrow" />
          </marker>
        </defs>
        {placed.edges.map((edge) => {
          const live = byKey.get(`${edge.from}>${edge.to}`) ?? edge;
          const moving = (live.perSecond ?? 0) > 0;
          return (
            <g key={`${edge.from}>${edge.to}`} className={`map-edge map-edge-${edge.kind}${moving ? ' map-edge-moving' : ''}`}>
              <path d={pathThrough(edge.points)} markerEnd="url(#map-arrow)" />
              {edge.label && edgeText(live) && (
                <text x={edge.label.x} y={edge.label.y + 4} textAnchor="middle" className="map-edge-label">
                  {edgeText(live)}
                </text>
              )}
            </g>
          );
        })}
        {placed.nodes.map((node) => (
          <NodeBox key={node.id} node={{ ...node, ...(map.nodes.find((n) => n.id === node.id) as MapNode) } as Placed['nodes'][number]} />
        ))}
      </svg>
    </div>
  );
}

/** Without the log topic every service writes, and the groups that read only it, the business flow stands out. */
function visible(map: ServiceMap, showLogs: boolean): { nodes: MapNode[]; edges: MapEdge[] } {
  if (showLogs) return { nodes: map.nodes, edges: map.edges };
  const hidden = new Set(map.nodes.filter((n) => n.kind === 'topic' && n.platform).map((n) => n.id));
  for (const node of map.nodes) {
    if (node.kind !== 'group') continue;
    const sources = map.edges.filter((e) => e.to === node.id);
    if (sources.length > 0 && sources.every((e) => hidden.has(e.from))) hidden.add(node.id);
  }
  return {
    nodes: map.nodes.filter((n) => !hidden.has(n.id)),
    edges: map.edges.filter((e) => !hidden.has(e.from) && !hidden.has(e.to)),
  };
}
