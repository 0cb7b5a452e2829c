// The webcam: start/stop, which cameras exist, and what to tell the user when it cannot start.

/** Why the camera did not start, in words a user can act on. `kind` is stable (tests and styling use it). */
export class CameraError extends Error {
  constructor(kind, message, cause) {
    super(message, { cause });
    this.name = 'CameraError';
    this.kind = kind;
  }
}

export function cameraSupport() {
  if (!window.isSecureContext) {
    return new CameraError('insecure', 'The camera only works on a secure page: open this demo over https or on localhost / 127.0.0.1. Images still work: drop, paste or choose one.');
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    return new CameraError('unsupported', 'This browser has no camera API. Images still work: drop, paste or choose one.');
  }
  return null;
}

function explain(e) {
  switch (e?.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return new CameraError('denied', 'Camera permission was denied. Allow the camera for this site (the camera icon in the address bar) and press Start camera again.', e);
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return new CameraError('none', 'No camera was found. Connect one and press Start camera, or classify an image instead: drop, paste or choose one.', e);
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new CameraError('busy', 'The camera is in use by another application or could not start. Close the other app and try again.', e);
    case 'SecurityError':
      return new CameraError('blocked', 'The camera is blocked for this page (browser or site policy).', e);
    default:
      return new CameraError('failed', `The camera could not start (${e?.name ?? 'error'}: ${e?.message ?? e}).`, e);
  }
}

export class Camera {
  #video;
  #stream = null;

  /** @param {HTMLVideoElement} video where the preview plays */
  constructor(video) {
    this.#video = video;
  }

  get active() {
    return this.#stream !== null;
  }

  /** The running track's deviceId and facing mode ('user', 'environment' or undefined when unknown). */
  settings() {
    const track = this.#stream?.getVideoTracks()[0];
    const s = track?.getSettings?.() ?? {};
    return { deviceId: s.deviceId, facingMode: s.facingMode, width: s.width, height: s.height, label: track?.label ?? '' };
  }

  /**
   * Start (or switch to) a camera. Without `deviceId`, the user-facing one is preferred.
   * @throws {CameraError}
   */
  async start(deviceId) {
    const unsupported = cameraSupport();
    if (unsupported) throw unsupported;
    this.stop();
    const video = { width: { ideal: 640 }, height: { ideal: 480 } };
    if (deviceId) video.deviceId = { exact: deviceId };
    else video.facingMode = 'user';
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    } catch (e) {
      throw explain(e);
    }
    this.#stream = stream;
    this.#video.srcObject = stream;
    try {
      await this.#video.play();
    } catch (e) {
      this.stop();
      throw explain(e);
    }
  }

  stop() {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.#video.srcObject = null;
  }

  /** Video inputs; labels are empty until the user has granted the camera once. */
  static async list() {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    return devices.filter((d) => d.kind === 'videoinput' && d.deviceId);
  }
}
