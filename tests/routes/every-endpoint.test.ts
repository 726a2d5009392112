import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { exerciseEveryEndpoint } from '../every-endpoint.ts'

t.test('every endpoint, in JSON and XML, through inject()', async (t) => {
  const app = await buildTestApp(t)
  await exerciseEveryEndpoint(t, async (method, url, { body, contentType, accept }) => {
    const res = await app.inject({ method: method as 'GET', url, payload: body, headers: { accept, ...(contentType === undefined ? {} : { 'content-type': contentType }) } })
    return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), text: res.body, location: res.headers.location as string | undefined }
  })
})
