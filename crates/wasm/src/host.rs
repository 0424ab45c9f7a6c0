//! Host functions a module may import: a fixed, named set chosen by the caller
//! (compute tasks get none; custom proof families get `plinth_proofs::wasm`'s).
//!
//! Each function is a plain `fn` of one of the [`HostFn`] shapes, so it can hold
//! no state: the same arguments give the same result on every machine, and the
//! outcome of a module stays a function of module, input, fuel and limits. Each
//! call costs its fixed `fuel` on top of the instructions; running short is
//! [`WasmError::OutOfFuel`](crate::WasmError::OutOfFuel), as in the module's own
//! code. Memory a function reads or writes must lie inside the module's
//! `memory`, else the call traps.

use wasmi::{Caller, Error, Extern, FuncType, Linker, TrapCode, ValType};

/// The shapes a host function may have (WebAssembly types in the names; a
/// pointer is an `i32` address in the module's memory).
#[derive(Clone, Copy, Debug)]
pub enum HostFn {
    /// `(i64) -> i32`.
    I64ToI32(fn(i64) -> i32),
    /// `(i64, i32) -> i64`.
    I64I32ToI64(fn(i64, i32) -> i64),
    /// `(i64, i64) -> i64`.
    I64I64ToI64(fn(i64, i64) -> i64),
    /// `(i32, i32, i32) -> i64`.
    I32x3ToI64(fn(i32, i32, i32) -> i64),
    /// `(i32, i32, i32, i32) -> i64`.
    I32x4ToI64(fn(i32, i32, i32, i32) -> i64),
    /// `(i64, out: i32) -> i32`: the function fills 56 bytes the module reads
    /// at `out` (written back whatever it returns).
    I64Out56ToI32(fn(i64, &mut [u8; 56]) -> i32),
    /// `(key: i32, msg: i32, msg_len: i32, sig: i32) -> i32`: reads 32 bytes at
    /// `key`, `msg_len` at `msg` and 64 at `sig`.
    Verify(fn(&[u8; 32], &[u8], &[u8; 64]) -> i32),
}

impl HostFn {
    /// The WebAssembly type an import of this function must have.
    pub fn ty(&self) -> FuncType {
        use ValType::{I32, I64};
        let (params, results): (&[ValType], &[ValType]) = match self {
            HostFn::I64ToI32(_) => (&[I64], &[I32]),
            HostFn::I64I32ToI64(_) => (&[I64, I32], &[I64]),
            HostFn::I64I64ToI64(_) => (&[I64, I64], &[I64]),
            HostFn::I32x3ToI64(_) => (&[I32, I32, I32], &[I64]),
            HostFn::I32x4ToI64(_) => (&[I32, I32, I32, I32], &[I64]),
            HostFn::I64Out56ToI32(_) => (&[I64, I32], &[I32]),
            HostFn::Verify(_) => (&[I32, I32, I32, I32], &[I32]),
        };
        FuncType::new(params.iter().copied(), results.iter().copied())
    }
}

/// One importable function: its name in [`HostFunctions::module`], its fuel
/// cost per call and what it does.
#[derive(Clone, Copy, Debug)]
pub struct HostFunction {
    /// The import's field name.
    pub name: &'static str,
    /// Fuel charged per call, besides the calling instructions.
    pub fuel: u64,
    /// The function.
    pub func: HostFn,
}

/// The functions a module may import, all from one import module name. Any
/// other import, or one of these with another type, is refused at load.
#[derive(Clone, Copy, Debug)]
pub struct HostFunctions {
    /// The import module name (e.g. `plinth`).
    pub module: &'static str,
    /// The functions.
    pub functions: &'static [HostFunction],
}

impl HostFunctions {
    /// No imports at all (compute tasks).
    pub const NONE: HostFunctions = HostFunctions {
        module: "",
        functions: &[],
    };

    /// The function `module.name`, if offered.
    pub fn find(&self, module: &str, name: &str) -> Option<&HostFunction> {
        if module != self.module {
            return None;
        }
        self.functions.iter().find(|f| f.name == name)
    }

    /// A linker defining every function, for stores whose data is `T`.
    pub(crate) fn linker<T: 'static>(&self, engine: &wasmi::Engine) -> Linker<T> {
        let mut linker = Linker::new(engine);
        for f in self.functions {
            define(&mut linker, self.module, f).expect("names are distinct");
        }
        linker
    }
}

/// Charges `fuel` to the caller's store; out of fuel is the usual trap.
fn charge<T>(caller: &mut Caller<'_, T>, fuel: u64) -> Result<(), Error> {
    let left = caller.get_fuel()?;
    if left < fuel {
        caller.set_fuel(0)?;
        return Err(TrapCode::OutOfFuel.into());
    }
    caller.set_fuel(left - fuel)
}

/// The module's memory as seen from a host call.
fn memory<T>(caller: &Caller<'_, T>) -> Result<wasmi::Memory, Error> {
    match caller.get_export(crate::MEMORY_EXPORT) {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(TrapCode::MemoryOutOfBounds.into()),
    }
}

/// `len` bytes at `ptr`, or an out-of-bounds trap.
fn read<T>(caller: &Caller<'_, T>, ptr: i32, len: i32) -> Result<Vec<u8>, Error> {
    let m = memory(caller)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    m.data(caller)
        .get(start..start.checked_add(len).ok_or(TrapCode::MemoryOutOfBounds)?)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| TrapCode::MemoryOutOfBounds.into())
}

fn define<T: 'static>(
    linker: &mut Linker<T>,
    module: &str,
    f: &HostFunction,
) -> Result<(), wasmi::errors::LinkerError> {
    let cost = f.fuel;
    match f.func {
        HostFn::I64ToI32(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>, a: i64| -> Result<i32, Error> {
                charge(&mut c, cost)?;
                Ok(g(a))
            },
        ),
        HostFn::I64I32ToI64(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>, a: i64, b: i32| -> Result<i64, Error> {
                charge(&mut c, cost)?;
                Ok(g(a, b))
            },
        ),
        HostFn::I64I64ToI64(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>, a: i64, b: i64| -> Result<i64, Error> {
                charge(&mut c, cost)?;
                Ok(g(a, b))
            },
        ),
        HostFn::I32x3ToI64(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>, a: i32, b: i32, d: i32| -> Result<i64, Error> {
                charge(&mut c, cost)?;
                Ok(g(a, b, d))
            },
        ),
        HostFn::I32x4ToI64(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>, a: i32, b: i32, d: i32, e: i32| -> Result<i64, Error> {
                charge(&mut c, cost)?;
                Ok(g(a, b, d, e))
            },
        ),
        HostFn::I64Out56ToI32(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>, a: i64, out: i32| -> Result<i32, Error> {
                charge(&mut c, cost)?;
                let mut buf = [0u8; 56];
                let r = g(a, &mut buf);
                let m = memory(&c)?;
                m.write(&mut c, out as u32 as usize, &buf)
                    .map_err(|_| Error::from(TrapCode::MemoryOutOfBounds))?;
                Ok(r)
            },
        ),
        HostFn::Verify(g) => linker.func_wrap(
            module,
            f.name,
            move |mut c: Caller<'_, T>,
                  key: i32,
                  msg: i32,
                  len: i32,
                  sig: i32|
                  -> Result<i32, Error> {
                // The message is read and hashed: it pays by the byte too.
                charge(&mut c, cost.saturating_add(u64::from(len as u32) / 16))?;
                let key: [u8; 32] = read(&c, key, 32)?.try_into().expect("32 bytes");
                let sig: [u8; 64] = read(&c, sig, 64)?.try_into().expect("64 bytes");
                let msg = read(&c, msg, len)?;
                Ok(g(&key, &msg, &sig))
            },
        ),
    }
    .map(|_| ())
}
