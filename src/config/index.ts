export { ConfigError } from './errors.ts'
export { type LoadOptions, loadConfig } from './load.ts'
export { type Config, configSchema, type RawConfig } from './schema.ts'
