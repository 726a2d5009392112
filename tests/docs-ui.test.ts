import t from 'tap'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import { buildTestApp, createMachine, addKey, addSandboxBackend, TEST_ADMIN_TOKEN } from './helper.ts'

/**
 * Swagger UI, in a real (headless) browser: it loads under its Content-Security-Policy, a call
 * without a token is refused, and after "Authorize" with a token the same call succeeds.
 * Chromium comes from Debian (.ci/run installs it); without it this test says it is skipped.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

t.test('Swagger UI authorizes with a bearer token and calls the API', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, async (t) => {
  const app = await buildTestApp(t)
  await createMachine(app, await addSandboxBackend(app), await addKey(app))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()) })
  page.on('pageerror', (error) => problems.push(error.message))

  await page.goto(`${base}/docs/`)
  await page.locator('span.opblock-summary-path[data-path="/api/machine"]').first().click()
  const operation = page.locator('.opblock-get', { has: page.locator('span.opblock-summary-path[data-path="/api/machine"]') }).first()
  await operation.locator('button.try-out__btn').click()
  await operation.locator('button.execute').click()
  const status = operation.locator('.live-responses-table tbody .response-col_status').first()
  await status.waitFor()
  t.equal((await status.innerText()).trim(), '401', 'without a token: 401')

  await page.locator('.scheme-container button.authorize').click()
  // The modal offers both schemes (bearer and basic); fill and apply the bearer form only.
  const bearerForm = page.locator('.modal-ux form', { hasText: 'bearerAuth' })
  await bearerForm.locator('input').first().fill(TEST_ADMIN_TOKEN)
  await bearerForm.locator('button.authorize').click()
  await bearerForm.locator('button.btn-done').click()

  await operation.locator('button.execute').click()
  // A locator waits without evaluating strings in the page: a string given to waitForFunction is
  // eval'd at each poll after the first, which the page's CSP (no 'unsafe-eval') refuses, so it
  // failed whenever the answer was not there at once.
  await operation.locator('.live-responses-table tbody .response-col_status', { hasText: /^\s*200\s*$/ }).first().waitFor()
  t.equal((await status.innerText()).trim(), '200', 'after Authorize: 200')
  t.match(await operation.locator('.live-responses-table tbody .response-col_description').first().innerText(), /"url"/)
  t.match(await operation.locator('.curl-command').innerText(), /Authorization: Bearer stratus_/, 'the request carried the token')

  t.same(problems.filter((text) => /Content Security Policy|Refused to/i.test(text)), [], 'nothing blocked by the page\'s CSP')
})
