/**
 * The studio page for one project: wires the session (document, sync, undo, presence) to
 * the views (top bar, arrangement, editor) and the sound (synth and transport).
 */
import { api, ApiError, isNetworkError, type Project, type User } from '../api/client.ts'
import { cache } from '../app/cache.ts'
import type { Synth } from '../audio/synth.ts'
import { Transport } from '../audio/transport.ts'
import { removeChord } from '../doc/schema.ts'
import { Editor } from '../editor/editor.ts'
import { h } from '../ui/dom.ts'
import { toast } from '../ui/toast.ts'
import { Arrangement, trackColour } from './arrangement.ts'
import { ClipLibrary } from './clips.ts'
import { AssistPanel } from './assist.ts'
import { editChord } from './chords.ts'
import { openExportDialog } from './exports.ts'
import { exportMidi, importMidi } from './files.ts'
import { openInviteDialog } from './invite.ts'
import { Presence } from './presence.ts'
import { Session } from './session.ts'
import { ListenPanel } from './listen.ts'
import { installShortcuts, SHORTCUTS } from './shortcuts.ts'
import { SongModel } from './song.ts'
import { initialState, type StudioStore } from './state.ts'
import { Store } from './store.ts'
import { TopBar } from './topbar.ts'

export interface Page {
  element: HTMLElement
  destroy: () => void
}

/** The project, from the server or (offline) from what this browser remembers. */
async function loadProject(projectId: string): Promise<Project | string> {
  try {
    const project = await api.project(projectId)
    cache.setProject(project)
    return project
  } catch (error) {
    if (isNetworkError(error)) return cache.project(projectId) ?? 'This song has not been opened on this device yet, and the server cannot be reached.'
    if (error instanceof ApiError && error.status === 404) cache.forgetProject(projectId)
    return error instanceof ApiError ? error.message : String(error)
  }
}

export function studioPage(projectId: string, user: User): Page {
  const element = h('main.studio', {}, h('div.studio-loading', {}, 'Opening the song…'))
  let destroy = (): void => undefined
  let gone = false
  void loadProject(projectId).then((project) => {
    if (gone) return
    if (typeof project === 'string') {
      element.replaceChildren(h('div.studio-loading', {}, h('p', {}, project), h('a', { href: '/' }, 'Your songs')))
      return
    }
    destroy = mountStudio(element, project, user)
  })
  return {
    element,
    destroy: () => {
      gone = true
      destroy()
    },
  }
}

function mountStudio(element: HTMLElement, project: Project, user: User): () => void {
  const session = new Session(project.id, user, project.role !== 'viewer')
  const song = new SongModel(session.doc)
  const store: StudioStore = new Store(initialState(480))
  const presence = new Presence(session.provider.awareness, user)
  const clips = new ClipLibrary(project.id, session.doc)
  let synth: Synth | null = null
  let transport: Transport | null = null
  let frame = 0

  const audition = (trackId: string, pitch: number, velocity: number): void => {
    if (synth === null || store.get().playing) return
    synth.setTracks(song.get()?.tracks ?? [])
    synth.audition(trackId, pitch, velocity)
  }

  // Who recorded an audio track's clips, by user id (the members, once fetched).
  const names = new Map<string, string>()
  const editor = new Editor({
    nameOf: (id) => names.get(id) ?? presence.peers().find((p) => p.user.id === id)?.user.name ?? null,
    session,
    song,
    store,
    presence,
    colourOf: (trackId) => trackColour(song.get(), trackId),
    audition,
    editChord: (chordId, tick) => {
      const rect = editor.element.getBoundingClientRect()
      editChord(session, song, chordId, tick, { x: rect.left + 80, y: rect.top + 52 })
    },
  })

  const animate = (): void => {
    const tick = transport?.position() ?? null
    if (tick === null) return
    store.set({ playhead: tick })
    editor.follow(tick)
    topbar.showPosition(song.get(), tick)
    if (synth !== null) topbar.showLevel(synth.peak())
    frame = requestAnimationFrame(animate)
  }

  async function ensureSound(): Promise<Transport | null> {
    if (transport !== null) return transport
    if (store.get().sound === 'loading') return null
    store.set({ sound: 'loading', soundProgress: 0 })
    try {
      // The synth (and its SoundFont parser) loads on the first Play, not with the page.
      const { Synth } = await import('../audio/synth.ts')
      synth = await Synth.load((fraction) => store.set({ soundProgress: fraction }))
      transport = new Transport(synth, {
        // What the Bandmate panel auditions plays layered over the song.
        song: () => assist.layer(song.get()),
        loop: () => store.get().loop,
        metronome: () => store.get().metronome,
        clips: () => clips.playable(),
      })
      store.set({ sound: 'ready' })
      // For the browser tests: what the transport started (audio clips) and when.
      ;(window as unknown as { bandmateStudio?: unknown }).bandmateStudio = { transport, synth, clips }
      return transport
    } catch (error) {
      store.set({ sound: 'failed' })
      toast(`Sound is not available: ${error instanceof Error ? error.message : String(error)}`, 'error', 8000)
      return null
    }
  }

  const play = async (): Promise<void> => {
    const t = await ensureSound()
    if (t === null) return
    await synth?.context.resume()
    t.play(store.get().playhead)
    store.set({ playing: true })
    cancelAnimationFrame(frame)
    frame = requestAnimationFrame(animate)
  }

  const pause = (): void => {
    transport?.stop()
    cancelAnimationFrame(frame)
    topbar.showLevel(0)
    store.set({ playing: false, playhead: Math.floor(store.get().playhead) })
  }

  const togglePlay = (): void => {
    if (store.get().playing) pause()
    else void play()
  }

  const stop = (): void => {
    pause()
    const loop = store.get().loop
    store.set({ playhead: loop.enabled ? loop.start : 0 })
    editor.scrollTo(0)
  }

  const assist = new AssistPanel(session, song, store, {
    play: (tick) => {
      pause()
      store.set({ playhead: tick })
      void play()
    },
    stop: () => {
      if (store.get().playing) pause()
    },
  })

  const topbar = new TopBar(session, song, store, presence, {
    togglePlay,
    stop,
    importMidi: (file) => {
      importMidi(session, file).then(
        (ids) => {
          if (ids[0] !== undefined) store.set({ trackId: ids[0], selection: new Set() })
          toast(`Imported ${ids.length} track${ids.length === 1 ? '' : 's'} from ${file.name}`)
        },
        (error: unknown) => toast(`${file.name}: ${error instanceof Error ? error.message : String(error)}`, 'error', 8000),
      )
    },
    // Offline, the song can still leave as MIDI, written in this browser.
    exportFiles: () => (navigator.onLine ? openExportDialog(project, () => song.get()?.title ?? project.name) : exportMidi(session)),
    invite: project.role === 'owner' ? () => openInviteDialog(project.id) : null,
    assist: () => assist.open(),
  })
  const listen = new ListenPanel(session, song, store)
  topbar.element.querySelector('.assist-open')?.after(listen.toggle)
  const arrangement = new Arrangement(session, song, store, presence, clips)
  // One selection at a time: picking a section drops the chord's.
  arrangement.sections.onSelect(() => editor.clearChord())
  const editorTitle = h('div.editor-title')
  const help = h('div.help', {}, ...SHORTCUTS.map(([keys, what]) => h('span', {}, h('kbd', {}, keys), ` ${what}`)))
  const waiting = h('div.studio-waiting', {}, 'Loading the song…')
  const banner = session.canEdit ? null : h('div.banner', {}, 'You are viewing this song. Ask an owner to invite you as an editor to make changes.')

  element.replaceChildren(
    topbar.element,
    ...(banner === null ? [] : [banner]),
    h(
      'div.studio-body',
      {},
      arrangement.element,
      h('section.editor-panel', { attrs: { 'aria-label': 'Editor' } }, h('div.editor-bar', {}, editorTitle, help), editor.element),
    ),
    waiting,
  )
  element.dataset.role = project.role
  element.classList.toggle('read-only', !session.canEdit)

  const refreshTitle = (): void => {
    const track = song.track(store.get().trackId)
    const audio = editor.audioTrack() !== null
    editorTitle.replaceChildren(
      track === null
        ? h('span', {}, 'Pick a track to edit its notes')
        : h('span', {}, h('span.swatch', { style: `--track:${trackColour(song.get(), track.id)}` }), `${audio ? 'Audio' : track.drums ? 'Drum grid' : 'Piano roll'} — ${track.name}`),
    )
    // The note tools mean nothing on an audio track.
    for (const tool of topbar.element.querySelectorAll<HTMLButtonElement | HTMLSelectElement>('.tools button, .tools select')) tool.disabled = audio
  }
  const onSong = (): void => {
    const view = song.get()
    waiting.hidden = view !== null
    element.dataset.ready = String(view !== null)
    if (view !== null && (store.get().trackId === null || song.track(store.get().trackId) === null)) {
      store.set({ trackId: view.tracks[0]?.id ?? null, selection: new Set() })
    }
    if (view !== null) {
      const ids = new Set(view.tracks.find((t) => t.id === store.get().trackId)?.notes.map((n) => n.id))
      const kept = [...store.get().selection].filter((id) => ids.has(id))
      if (kept.length !== store.get().selection.size) store.set({ selection: new Set(kept) })
      if (store.get().noteLength === 480 && view.ppq !== 480) store.set({ noteLength: view.ppq })
    }
    refreshTitle()
  }
  song.onChange(onSong)
  store.subscribe((now, before) => {
    if (now.trackId !== before.trackId) refreshTitle()
  })
  void session.loaded.then(() => {
    onSong()
    if (!session.hasSong() && !navigator.onLine) waiting.textContent = 'This song is not on this device yet: it opens when you are back online.'
  })
  onSong()
  api.members(project.id).then(
    (members) => {
      for (const m of members) names.set(m.user_id, m.username)
      editor.render()
    },
    () => undefined, // offline: clips name their recorder only when the person is here
  )

  const removeShortcuts = installShortcuts({
    session,
    song,
    store,
    togglePlay,
    stop,
    chord: () => editor.chordSelected,
    audioTrack: () => editor.audioTrack() !== null,
    section: () => arrangement.sections.selectedId,
    removeSection: () => arrangement.sections.removeSelected(),
    deselect: () => {
      editor.clearChord()
      arrangement.sections.clear()
    },
    removeChord: (id) => {
      removeChord(session.doc, id, session.edit)
      editor.clearChord()
    },
    select: (ids) => {
      const selection = new Set(ids)
      store.set({ selection })
      presence.select(store.get().trackId, selection)
    },
  })

  return () => {
    delete (window as unknown as { bandmateStudio?: unknown }).bandmateStudio
    clips.close()
    removeShortcuts()
    arrangement.sections.destroy()
    assist.destroy()
    listen.destroy()
    transport?.stop()
    cancelAnimationFrame(frame)
    void synth?.context.close()
    presence.leave()
    session.destroy()
  }
}
