import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseRoute } from './router.ts'

test('paths name pages', () => {
  assert.deepEqual(parseRoute('/'), { page: 'projects' })
  assert.deepEqual(parseRoute('/p/abc123'), { page: 'studio', projectId: 'abc123' })
  assert.deepEqual(parseRoute('/invite/tok%2Fen'), { page: 'invite', token: 'tok/en' })
  assert.deepEqual(parseRoute('/signin', '?next=/p/x'), { page: 'signin', next: '/p/x' })
  assert.deepEqual(parseRoute('/nope/x/y'), { page: 'missing', path: '/nope/x/y' })
})

test('sign-in never forwards to another site', () => {
  assert.deepEqual(parseRoute('/signin', '?next=//evil.example'), { page: 'signin', next: '/' })
  assert.deepEqual(parseRoute('/signin', '?next=https://evil.example'), { page: 'signin', next: '/' })
})
