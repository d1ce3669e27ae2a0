/** The RAM template samples carried in test/fixtures/ram (a copy of the shared samples). */
export const RAM_SAMPLES = new URL('../fixtures/ram/', import.meta.url);

/** The expected reason of each broken sample, from the samples' README. */
export const INVALID_SAMPLE_REASONS: Record<string, string> = {
  'no-apps-no-k8s-resources.json': 'apps: template is empty (no apps and no k8s_resources)',
  'empty-group-version.json': 'group_version: must be a non-empty string',
  'component-missing-service-key.json': 'apps[1].service_key: required',
  'component-missing-service-id.json': 'apps[1].service_id: required',
  'component-missing-extend-method.json': 'apps[1].extend_method: required',
  'component-missing-image.json': 'apps[1].share_image: share_image or image required',
  'service-image-null.json': 'apps[1].service_image: must be an object',
  'duplicate-service-key.json': 'apps[1].service_key: duplicate of apps[0]',
  'dangling-dependency.json':
    'apps[0].dep_service_map_list[0].dep_service_key: no component with this service_share_uuid',
  'ingress-unknown-component.json':
    'ingress_http_routes[0].component_key: no component with this service_key',
  'port-not-integer.json': 'apps[1].port_map_list[0].container_port: must be an integer 1-65535',
  'env-empty-attr-name.json':
    'apps[0].service_env_map_list[0].attr_name: invalid environment variable name',
  'probe-without-port.json': 'apps[1].probes[0].port: required integer >= 1',
  'k8s-resource-missing-kind.json': 'k8s_resources[0].kind: required',
  'proxy-header-not-a-map.json':
    'ingress_http_routes[0].proxy_header: must be an object of strings',
};
