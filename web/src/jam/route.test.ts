import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseRoute } from '../app/router.ts'

test('/p/{id}/jam opens the jam page of a project', () => {
  assert.deepEqual(parseRoute('/p/abc123/jam'), { page: 'jam', projectId: 'abc123' })
  assert.deepEqual(parseRoute('/p/abc123'), { page: 'studio', projectId: 'abc123' })
  assert.deepEqual(parseRoute('/p/abc123/other'), { page: 'missing', path: '/p/abc123/other' })
})
