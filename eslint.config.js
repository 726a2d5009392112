// Fastify's own style: neostandard (standard, maintained by the Node.js and Fastify folks), with TypeScript.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['src/generated/**', 'tests/generated-client/.generated/**', 'node_modules/**', '.data/**', '.scratch/**', 'coverage/**', '.tap/**'] }),
  {
    rules: {
      // `void promise` marks a promise deliberately not awaited (fire and forget, errors handled inside).
      'no-void': ['error', { allowAsStatement: true }],
      // TypeBox's idiom: a schema and its static type under one name (const Backend, type Backend).
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
