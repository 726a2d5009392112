import t from 'tap'
import { withoutTapRecorder } from './started-server.ts'

// Started servers run as production starts them: without tap's module recorder, with the developer's own options.
t.test('tap\'s module recorder is dropped from NODE_OPTIONS, and nothing else', async (t) => {
  t.match(process.env.NODE_OPTIONS, /@tapjs\/processinfo/, 'tap gives this process its recorder')
  t.notMatch(withoutTapRecorder(process.env.NODE_OPTIONS), /@tapjs\/processinfo/, 'a started server does not get it')
  const recorder = '"--import=file:///work/node_modules/@tapjs/processinfo/dist/esm/import.mjs"'
  t.equal(withoutTapRecorder(`"--max-old-space-size=2048" ${recorder} --enable-source-maps`), '"--max-old-space-size=2048" --enable-source-maps')
  t.equal(withoutTapRecorder('--import "file:///a b/@tapjs/processinfo/dist/esm/import.mjs" --trace-warnings'), '--trace-warnings', 'as two tokens, a path with a space')
  t.equal(withoutTapRecorder('--import tsx'), '--import tsx', 'another --import stays')
  t.equal(withoutTapRecorder(undefined), '')
})
