/**
 * A WebAssembly kernel instance whose memory is replaced, never grown. Growing a memory detaches its old
 * ArrayBuffer, and the first detached buffer in a process makes V8 guard every typed-array access in
 * optimized code from then on: every JavaScript signal loop of the process runs some 25-45% slower
 * (measured on scoreSpeech's stages in Node 20). So the kernel imports its memory (env.memory), and when a
 * call needs more, a larger memory and a new instance of the same compiled module take their place.
 */
const PAGE_BYTES = 65_536;

/** Each kernel's binary compiled once per process, however many instances it gets. */
const modules = new Map<string, WebAssembly.Module>();

export class WasmKernel<Exports> {
  private readonly module: WebAssembly.Module;
  private memory: WebAssembly.Memory | undefined;
  private instance: Exports | undefined;

  /** `binary`: the kernel's WebAssembly in base64, as scripts/build-wasm.mjs writes it into the *-wasm.ts modules. */
  constructor(binary: string) {
    let module = modules.get(binary);
    if (!module) {
      module = new WebAssembly.Module(Buffer.from(binary, 'base64'));
      modules.set(binary, module);
    }
    this.module = module;
  }

  /** The kernel's exports, with a memory of at least `bytes`, and that memory's buffer. */
  reserve(bytes: number): { kernel: Exports; buffer: ArrayBuffer } {
    if (!this.memory || !this.instance || this.memory.buffer.byteLength < bytes) {
      this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE_BYTES)) });
      this.instance = new WebAssembly.Instance(this.module, { env: { memory: this.memory } }).exports as Exports;
    }
    return { kernel: this.instance, buffer: this.memory.buffer };
  }
}
