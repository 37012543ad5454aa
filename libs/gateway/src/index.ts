export { GatewayModule, GatewayFeature } from './gateway.module';
export { routeOf, type Upstream } from './route-of';
