// The hls4mlEmulator model interface, as CMSSW loads emulator libraries.
//
// Written from the documented interface of cms-hls4ml/hls4mlEmulatorExtras,
// include/hls4ml/emulator.h (the header the CMSSW externals install as
// "hls4ml/emulator.h"; used e.g. by L1Trigger/L1TGlobal AXOL1TLCondition):
//
//   * namespace hls4mlEmulator, abstract class Model with the pure virtual member
//     functions prepare_input(std::any), predict(), read_result(std::any) and a
//     virtual destructor, in that order (the vtable layout a loader relies on);
//   * the factory types create_model_cls (Model *()) and destroy_model_cls
//     (void (Model *)), exported by a model library as the extern "C" symbols
//     create_model and destroy_model;
//   * its ModelLoader dlopen()s "<name>.so" with RTLD_LAZY | RTLD_LOCAL, looks the two
//     symbols up with dlsym() and wraps the model in a shared_ptr whose deleter is
//     destroy_model (our host, emulator_host.cpp, does exactly that).
//
// Only the Model class and the two factory types are declared here (the loader
// class lives in the externals' library, which l1ot does not need). In a CMSSW
// build the externals' header is used instead of this one: same namespace, same
// member functions in the same order, so the library is interchangeable.
#ifndef HLS4ML_EMULATOR_H_
#define HLS4ML_EMULATOR_H_

#include <any>

namespace hls4mlEmulator {

class Model {
  public:
    virtual void prepare_input(std::any input) = 0;
    virtual void predict() = 0;
    virtual void read_result(std::any result) = 0;
    virtual ~Model() = default;
};

typedef Model *create_model_cls();
typedef void destroy_model_cls(Model *);

} // namespace hls4mlEmulator

#endif
