import SerializerSelector from '@fastify/fast-json-stringify-compiler'

/**
 * Fastify's own JSON serializers (fast-json-stringify), compiled once per distinct schema rather
 * than once per route, status and media type. Every route shares its problem answers' schema
 * (the onRoute hook of plugins/swagger.ts adds up to seven statuses, each as JSON and XML), so a
 * start compiled 1,187 serializers of 56 schemas: about 400 ms of CPU per server start, and per
 * test app. Given to Fastify as its schemaController's serializer factory (src/app.ts).
 */
export function jsonSerializers (): SerializerSelector.SerializerFactory {
  const build = SerializerSelector()
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options)
    // Per factory call: one app's compiler, over that app's shared schemas (app.addSchema).
    const compiled = new WeakMap<object, SerializerSelector.Serializer>()
    return (route) => {
      const schema = route.schema as object
      let serialize = compiled.get(schema)
      if (serialize === undefined) {
        serialize = compile(route)
        compiled.set(schema, serialize)
      }
      return serialize
    }
  }
}
