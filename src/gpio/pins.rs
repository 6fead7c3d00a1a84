//! The header's pins through rppal: inputs with their resistors and edge interrupts (the
//! kernel's gpiochip device timestamps each edge; rppal calls back on its own thread), lamps as
//! outputs. Thin on purpose: the decoding is `surface`'s, tested without a Pi.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rppal::gpio::{Event, Gpio, InputPin, Level, OutputPin, Trigger};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use super::surface::GpioSurface;
use super::{GpioLayout, Pull};
use crate::midi::MemoryDevice;

/// How long to wait before trying the header again after it could not be opened.
const RETRY: Duration = Duration::from_secs(5);

/// An edge: pin, high after it, when.
type Edge = (u8, bool, Instant);

struct Header {
    inputs: HashMap<u8, InputPin>,
    lamps: HashMap<u8, OutputPin>,
}

impl Header {
    fn open(
        layout: &GpioLayout,
        edges: &mpsc::UnboundedSender<Edge>,
    ) -> rppal::gpio::Result<Header> {
        let gpio = Gpio::new()?;
        let mut inputs = HashMap::new();
        let wanted = layout
            .encoders
            .iter()
            .flat_map(|e| [(e.a, e.pull), (e.b, e.pull)])
            .chain(layout.buttons.iter().map(|b| (b.pin, b.pull)));
        for (pin, pull) in wanted {
            if inputs.contains_key(&pin) {
                continue;
            }
            let p = gpio.get(pin)?;
            let mut input = match pull {
                Pull::Up => p.into_input_pullup(),
                Pull::Down => p.into_input_pulldown(),
                Pull::Off => p.into_input(),
            };
            let tx = edges.clone();
            input.set_async_interrupt(Trigger::Both, None, move |e: Event| {
                let _ = tx.send((pin, e.trigger == Trigger::RisingEdge, Instant::now()));
            })?;
            inputs.insert(pin, input);
        }
        let mut lamps = HashMap::new();
        for &pin in &layout.lamps {
            lamps.insert(pin, gpio.get(pin)?.into_output_low());
        }
        Ok(Header { inputs, lamps })
    }

    fn high(&self, pin: u8) -> bool {
        self.inputs
            .get(&pin)
            .is_none_or(|p| p.read() == Level::High)
    }

    fn light(&mut self, pin: u8, lit: bool) {
        if let Some(p) = self.lamps.get_mut(&pin) {
            if lit {
                p.set_high();
            } else {
                p.set_low();
            }
        }
    }
}

/// Run the header for `layout` through `device` until `stop`.
pub(super) async fn run(layout: GpioLayout, mut device: MemoryDevice, stop: CancellationToken) {
    let span = info_span!("gpio", pins = ?layout.pins());
    async move {
        loop {
            let (tx, rx) = mpsc::unbounded_channel();
            match Header::open(&layout, &tx) {
                Ok(header) => {
                    info!("GPIO header open");
                    if serve(header, rx, &layout, &mut device, &stop)
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) => warn!(
                    error = %e,
                    "cannot use the GPIO header (is this a Raspberry Pi, and is the service user \
                     in the gpio group?); trying again in 5 s"
                ),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(RETRY) => {}
            }
        }
    }
    .instrument(span)
    .await
}

/// Serve until `stop` (`Err`) or the port is gone (`Err`).
async fn serve(
    mut header: Header,
    mut edges: mpsc::UnboundedReceiver<Edge>,
    layout: &GpioLayout,
    device: &mut MemoryDevice,
    stop: &CancellationToken,
) -> Result<(), ()> {
    let mut surface = GpioSurface::new(layout, |pin| header.high(pin));
    device.connect("GPIO header").await.map_err(|_| ())?;
    loop {
        let deadline = surface.next_deadline();
        let wake = tokio::time::Instant::from_std(
            deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600)),
        );
        let out = tokio::select! {
            _ = stop.cancelled() => return Err(()),
            edge = edges.recv() => match edge {
                Some((pin, high, at)) => surface.edge(pin, high, at),
                None => return Ok(()),
            },
            feedback = device.recv() => match feedback {
                Some(bytes) => {
                    for (pin, lit) in surface.lamps(&bytes) {
                        debug!(pin, lit, "lamp");
                        header.light(pin, lit);
                    }
                    Vec::new()
                }
                None => return Err(()),
            },
            _ = tokio::time::sleep_until(wake), if deadline.is_some() => surface.poll(Instant::now()),
        };
        for m in out {
            device.send(&m).await.map_err(|_| ())?;
        }
    }
}
