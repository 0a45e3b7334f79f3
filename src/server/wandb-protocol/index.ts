/** The W&B protocol on our server: the routes, mounted by `createServer`. */
export { registerWandbRoutes, type WandbRoutesOptions } from "./routes.js";
