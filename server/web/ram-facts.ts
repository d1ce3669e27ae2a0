/**
 * What the Components tab shows of a RAM template's component: ports, env names, volumes, probes,
 * resources and the components it depends on. Env values are never read out: they may be secrets
 * (passwords, tokens), so only `attr_name` and its label leave this module; a config file's
 * content stays in the template too.
 */

export interface ComponentFacts {
  serviceKey: string;
  /** `service_share_uuid`, or the service key: what other components' dependencies name. */
  shareId: string;
  name: string;
  image: string;
  ports: { port: number; protocol: string; alias: string; outer: boolean }[];
  envs: { name: string; label: string; connection: boolean }[];
  volumes: { name: string; path: string; type: string; capacity: number | null }[];
  probes: { mode: string; scheme: string; port: number | null; path: string }[];
  resources: {
    memory: number | null;
    cpu: number | null;
    minNodes: number | null;
    maxNodes: number | null;
  };
  dependsOn: string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (o: Obj, key: string): Obj[] => (Array.isArray(o[key]) ? o[key].filter(isObj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function componentsOf(template: unknown): ComponentFacts[] {
  if (!isObj(template)) return [];
  return list(template, 'apps').map((app) => {
    const serviceKey = str(app['service_key']);
    const scale = isObj(app['extend_method_map']) ? app['extend_method_map'] : {};
    const envs = (key: string, connection: boolean) =>
      list(app, key)
        .map((e) => ({ name: str(e['attr_name']), label: str(e['name']), connection }))
        .filter((e) => e.name);
    return {
      serviceKey,
      shareId: str(app['service_share_uuid']) || serviceKey,
      name: str(app['service_cname']) || serviceKey,
      image: str(app['share_image']) || str(app['image']),
      ports: list(app, 'port_map_list').map((p) => ({
        port: num(p['container_port']) ?? 0,
        protocol: str(p['protocol']),
        alias: str(p['port_alias']),
        outer: p['is_outer_service'] === true,
      })),
      envs: [
        ...envs('service_env_map_list', false),
        ...envs('service_connect_info_map_list', true),
      ],
      volumes: list(app, 'service_volume_map_list').map((v) => ({
        name: str(v['volume_name']),
        path: str(v['volume_path']),
        type: str(v['volume_type']),
        capacity: num(v['volume_capacity']),
      })),
      probes: list(app, 'probes').map((p) => ({
        mode: str(p['mode']),
        scheme: str(p['scheme']),
        port: num(p['port']),
        path: str(p['path']),
      })),
      resources: {
        memory: num(app['memory']) ?? num(scale['init_memory']),
        cpu: num(app['cpu']) ?? num(scale['container_cpu']),
        minNodes: num(scale['min_node']),
        maxNodes: num(scale['max_node']),
      },
      dependsOn: list(app, 'dep_service_map_list')
        .map((d) => str(d['dep_service_key']))
        .filter(Boolean),
    };
  });
}
